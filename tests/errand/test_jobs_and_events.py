"""The in-service timeouts (time injected, never slept) and the events every status change
publishes, read from the test exchange."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.errand.conftest import ErrandApp
from tests.errand.helpers import drive, go_online, make_courier, place_order, post


async def test_dispatching_orders_expire_after_the_timeout_and_say_so(errand_app: ErrandApp) -> None:
    errand_app.clock.reset()
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester)
    jobs = errand_app.app.state.errand_jobs
    timeout = timedelta(seconds=errand_app.settings.dispatch_timeout_seconds)

    await jobs.run_once(errand_app.clock() + timeout - timedelta(seconds=30))
    assert (await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)).json()[
        "status"
    ] == ("dispatching")
    result = await jobs.run_once(errand_app.clock() + timeout + timedelta(seconds=1))
    assert result.expired >= 1
    view = (await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)).json()
    assert view["status"] == "expired"
    assert view["timeline"][-1]["actor_role"] == "system"
    tap = errand_app.events
    event = await tap.wait_for(tap.of_order(order["id"], "errand.order.expired.v1"), what="expired")
    assert event.payload == {
        "community_id": str(community.id),
        "order_id": order["id"],
        "requester_id": str(requester.id),
        "courier_id": None,
        "order_type": "deliver",
        "status": "expired",
        "recipient_household_id": None,
        "price_fen": order["price_fen"],
    }
    feed = await client.get("/api/v1/errand/courier/feed", headers=courier.headers)
    assert order["id"] not in feed.text  # gone from the feed with the expiry


async def test_delivered_orders_complete_by_themselves_after_24_hours(errand_app: ErrandApp) -> None:
    errand_app.clock.reset()
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester)
    await drive(client, order, courier, requester, "delivered")
    jobs = errand_app.app.state.errand_jobs
    await jobs.run_once(errand_app.clock() + timedelta(hours=23, minutes=59))
    view = (await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)).json()
    assert view["status"] == "delivered"
    await jobs.run_once(errand_app.clock() + timedelta(hours=24, seconds=1))
    view = (await client.get(f"/api/v1/errand/orders/{order['id']}", headers=requester.headers)).json()
    assert (view["status"], view["completion"]) == ("completed", "auto")
    tap = errand_app.events
    event = await tap.wait_for(tap.of_order(order["id"], "errand.order.completed.v1"), what="completed")
    assert event.payload["completion"] == "auto"
    assert event.payload["courier_id"] == str(courier.id)
    assert event.actor_id is None


async def test_every_status_change_a_resident_follows_is_published(errand_app: ErrandApp) -> None:
    errand_app.clock.reset()
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester, tip_fen=0)
    await drive(client, order, courier, requester, "completed")
    tap = errand_app.events
    expected = [
        ("errand.order.created.v1", "dispatching", None, requester.id),
        ("errand.order.accepted.v1", "accepted", courier.id, courier.id),
        ("errand.order.picked_up.v1", "picked_up", courier.id, courier.id),
        ("errand.order.delivered.v1", "delivered", courier.id, courier.id),
        ("errand.order.completed.v1", "completed", courier.id, requester.id),
    ]
    for event_type, status, courier_id, actor in expected:
        event = await tap.wait_for(tap.of_order(order["id"], event_type), what=event_type)
        assert event.payload["status"] == status
        assert event.payload["requester_id"] == str(requester.id)
        assert event.payload["courier_id"] == (str(courier_id) if courier_id else None)
        assert event.payload["community_id"] == str(community.id)
        assert event.actor_id == actor
        assert event.producer == "errand"
    delivered = next(e for e in tap.seen if tap.of_order(order["id"], "errand.order.delivered.v1")(e))
    assert "auto_complete_at" in delivered.payload


async def test_cancelling_after_acceptance_publishes_the_fee(errand_app: ErrandApp) -> None:
    errand_app.clock.reset()
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester)
    await drive(client, order, courier, requester, "accepted")
    errand_app.clock.advance(timedelta(minutes=10))
    quote = await client.get(f"/api/v1/errand/orders/{order['id']}/cancel-quote", headers=requester.headers)
    fee = quote.json()["fee_fen"]
    assert fee > 0
    assert quote.json()["cancellable"] is True
    cancelled = await post(client, order["id"], "cancel", requester, {"reason": "bought it myself"})
    assert cancelled.json()["cancel_fee_fen"] == fee
    tap = errand_app.events
    event = await tap.wait_for(tap.of_order(order["id"], "errand.order.cancelled.v1"), what="cancelled")
    assert (event.payload["from_status"], event.payload["cancel_fee_fen"]) == ("accepted", fee)
    assert event.payload["courier_id"] == str(courier.id)
    errand_app.clock.reset()
    assert uuid.UUID(event.payload["order_id"])
