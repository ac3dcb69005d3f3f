"""Quotes (itemised, configured prices, expiry), order types, cancellation, release, the
delivery code's attempt limit, and what refuses an accept."""

from __future__ import annotations

from datetime import timedelta

from errand.service_layer.merchants import create_merchant
from tests.errand.conftest import ErrandApp
from tests.errand.helpers import (
    drive,
    go_online,
    make_courier,
    offset,
    place,
    place_order,
    post,
    quote_body,
    runtime_of,
)

QUOTES = "/api/v1/errand/quotes"


async def test_quote_is_itemised_from_configuration(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    body = quote_body("deliver", pickup=place("9", 400), dropoff=place("3", -100), weight_kg=5.2, floors=5)
    quote = await client.post(QUOTES, json=body, headers=requester.headers)
    assert quote.status_code == 201, quote.text
    data = quote.json()
    lines = {line["code"]: line["amount_fen"] for line in data["breakdown"]}
    rules = errand_app.settings.pricing
    assert lines["base"] == rules.base_fen["deliver"]
    assert lines["floors"] == 5 * rules.per_floor_without_lift_fen
    assert lines["weight"] == 3 * rules.per_kg_fen
    assert lines["distance"] == 2 * rules.per_100m_fen  # ~500 m: 200 m over the included 300 m
    assert data["price_fen"] == sum(lines.values())
    assert 490 <= data["distance_m"] <= 510


async def test_an_expired_quote_is_410(errand_app: ErrandApp) -> None:
    errand_app.clock.reset()
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    quote = (await client.post(QUOTES, json=quote_body(), headers=requester.headers)).json()
    errand_app.clock.advance(timedelta(seconds=errand_app.settings.quote_ttl_seconds + 1))
    try:
        order = await client.post(
            "/api/v1/errand/orders", json={"quote_id": quote["quote_id"]}, headers=requester.headers
        )
    finally:
        errand_app.clock.reset()
    assert (order.status_code, order.json()["code"]) == (410, "quote_expired")


async def test_another_users_quote_is_not_found(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    quote = (
        await client.post(QUOTES, json=quote_body(), headers=community.person("resident").headers)
    ).json()
    order = await client.post(
        "/api/v1/errand/orders",
        json={"quote_id": quote["quote_id"]},
        headers=community.person("resident").headers,
    )
    assert order.status_code == 404


async def test_order_types_need_their_fields_and_stay_in_the_circle(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    for order_type, missing in [
        ("pickup_parcel", "parcel_code"),
        ("pay_bill", "bill_account"),
        ("queue", "queue_minutes"),
    ]:
        body = quote_body(order_type)
        body.pop(missing)
        response = await client.post(QUOTES, json=body, headers=requester.headers)
        assert (response.status_code, response.json()["code"]) == (422, "order_details_invalid"), order_type
    for order_type in ("pickup_parcel", "pay_bill", "queue", "home_service"):
        assert (
            await client.post(QUOTES, json=quote_body(order_type), headers=requester.headers)
        ).status_code == 201
    far = await client.post(QUOTES, json=quote_body(pickup=place("far", 3000)), headers=requester.headers)
    assert (far.status_code, far.json()["code"]) == (422, "outside_service_area")
    server_owned = await client.post(QUOTES, json={**quote_body(), "price_fen": 1}, headers=requester.headers)
    assert server_owned.status_code == 422


async def test_buy_from_the_nearest_merchant_of_a_category(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    async with runtime_of(errand_app.app).uow() as uow:
        for name, north in [("远一点药房", 350), ("楼下大药房", 20)]:
            lat, lng = offset(north)
            await create_merchant(
                errand_app.app.state.errand,
                uow,
                community.id,
                {"name": name, "category": "pharmacy", "address": "路边", "lat": lat, "lng": lng},
            )
    body = {
        "type": "buy",
        "dropoff": place("3"),
        "nearest_merchant": True,
        "merchant_category": "pharmacy",
        "items": ["布洛芬"],
    }
    quote = await client.post(QUOTES, json=body, headers=requester.headers)
    assert quote.status_code == 201, quote.text
    order = await client.post(
        "/api/v1/errand/orders", json={"quote_id": quote.json()["quote_id"]}, headers=requester.headers
    )
    assert order.json()["pickup"]["building"] == "楼下大药房"


async def test_cancel_is_free_before_acceptance(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    order = await place_order(client, requester)
    quote = (
        await client.get(f"/api/v1/errand/orders/{order['id']}/cancel-quote", headers=requester.headers)
    ).json()
    assert (quote["cancellable"], quote["fee_fen"]) == (True, 0)
    cancelled = await post(client, order["id"], "cancel", requester, {"reason": "no longer needed"})
    assert (cancelled.json()["status"], cancelled.json()["cancel_fee_fen"]) == ("cancelled", 0)


async def test_release_window_daily_limit_and_points(errand_app: ErrandApp) -> None:
    errand_app.clock.reset()
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    rules = errand_app.settings.release
    for _ in range(rules.daily_limit):
        order = await place_order(client, requester)
        await post(client, order["id"], "accept", courier)
        released = await post(client, order["id"], "release", courier)
        assert released.status_code == 200, released.text
        back = await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)
        assert (back.json()["status"], back.json()["courier_id"]) == ("dispatching", None)
        feed = await client.get("/api/v1/errand/courier/feed", headers=courier.headers)
        assert order["id"] in feed.text  # back in the feed for the others
    order = await place_order(client, requester)
    await post(client, order["id"], "accept", courier)
    over = await post(client, order["id"], "release", courier)
    assert (over.status_code, over.json()["code"]) == (409, "release_daily_limit_reached")
    points = (await client.get("/api/v1/errand/courier/points", headers=courier.headers)).json()
    assert points["points"] == -rules.points_deduction * rules.daily_limit
    assert [item["reason"] for item in points["items"]] == ["release"] * rules.daily_limit

    late_courier = await make_courier(errand_app.app, community)
    await go_online(client, late_courier)
    order = await place_order(client, requester)
    await post(client, order["id"], "accept", late_courier)
    errand_app.clock.advance(timedelta(seconds=rules.window_seconds + 1))
    try:
        late = await post(client, order["id"], "release", late_courier)
    finally:
        errand_app.clock.reset()
    assert (late.status_code, late.json()["code"]) == (409, "release_window_passed")


async def test_wrong_delivery_codes_are_limited_per_order(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester)
    await drive(client, order, courier, requester, "picked_up")
    wrong = "0000" if order["delivery_code"] != "0000" else "1111"
    limit = errand_app.settings.delivery_code_max_attempts
    for attempt in range(1, limit):
        response = await post(client, order["id"], "deliver", courier, {"delivery_code": wrong})
        assert (response.status_code, response.json()["code"]) == (422, "delivery_code_incorrect")
        assert str(limit - attempt) in response.json()["detail"]
    last = await post(client, order["id"], "deliver", courier, {"delivery_code": wrong})
    assert (last.status_code, last.json()["code"]) == (409, "delivery_code_locked")
    right_too_late = await post(
        client, order["id"], "deliver", courier, {"delivery_code": order["delivery_code"]}
    )
    assert right_too_late.json()["code"] == "delivery_code_locked"
    view = await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)
    assert view.json()["status"] == "picked_up"


async def test_accept_is_refused_offline_unverified_own_and_at_capacity(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    order = await place_order(client, requester)
    unverified = community.person("resident", "courier")  # token says courier, no profile yet
    response = await post(client, order["id"], "accept", unverified)
    assert (response.status_code, response.json()["code"]) == (403, "courier_not_verified")
    offline = await make_courier(errand_app.app, community)
    response = await post(client, order["id"], "accept", offline)
    assert (response.status_code, response.json()["code"]) == (409, "courier_offline")
    busy = await make_courier(errand_app.app, community)
    await go_online(client, busy)
    novice_jobs = errand_app.settings.points.levels[0].max_concurrent_jobs
    for _ in range(novice_jobs):
        job = await place_order(client, requester)
        assert (await post(client, job["id"], "accept", busy)).status_code == 200
    response = await post(client, order["id"], "accept", busy)
    assert (response.status_code, response.json()["code"]) == (409, "courier_at_capacity")
    own = await post(client, order["id"], "accept", requester)
    assert own.status_code == 404  # not a courier at all
