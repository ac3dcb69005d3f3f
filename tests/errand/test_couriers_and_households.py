"""Events in (courier role granted/revoked, household verified as elderly-alone), the feed's
order, points and levels, earnings in the community's time zone, statistics, merchants."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import aio_pika
from sqlalchemy import select, update

from contracts import Envelope, EventPayload, HouseholdVerifiedV1, RoleGrantedV1, RoleRevokedV1
from errand.adapters.tables import orders, resident_households
from errand.seed import seed_merchants
from servicekit.outbox import envelope_message
from tests.errand.conftest import ErrandApp
from tests.errand.helpers import drive, go_online, make_courier, place_order, post, runtime_of


async def publish(errand_app: ErrandApp, payload: EventPayload) -> None:
    envelope = Envelope.wrap(payload, producer="gateway")
    connection = await aio_pika.connect(errand_app.settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(errand_app.settings.events_exchange)
        await exchange.publish(
            envelope_message(envelope.model_dump(mode="json")), routing_key=envelope.event_type, timeout=5
        )


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_courier_profile_follows_the_role_events(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    courier = community.person("resident", "courier")
    presence = {"online": True, "lat": 39.9087, "lng": 116.3975}

    async def can_go_online() -> bool:
        response = await client.put("/api/v1/errand/courier/presence", json=presence, headers=courier.headers)
        return response.status_code == 200

    assert not await can_go_online()
    await publish(errand_app, RoleGrantedV1(community_id=community.id, user_id=courier.id, role="courier"))
    await eventually(can_go_online, "profile created by gateway.role.granted.v1")
    await publish(errand_app, RoleRevokedV1(community_id=community.id, user_id=courier.id, role="courier"))

    async def refused() -> bool:
        return not await can_go_online()

    await eventually(refused, "profile deactivated by gateway.role.revoked.v1")


async def test_elderly_alone_households_come_first_in_the_feed(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    neighbour, grandma = community.person("resident"), community.person("resident")
    await publish(
        errand_app,
        HouseholdVerifiedV1(
            community_id=community.id,
            household_id=uuid.uuid4(),
            user_id=grandma.id,
            building="7",
            unit="1",
            room="301",
            elderly_alone=True,
        ),
    )

    async def recorded() -> bool:
        async with runtime_of(errand_app.app).uow() as uow:
            row = await uow.session.execute(
                select(resident_households.c.elderly_alone).where(resident_households.c.user_id == grandma.id)
            )
            return row.scalar_one_or_none() is True

    await eventually(recorded, "household projection from gateway.household.verified.v1")
    near = await place_order(client, neighbour)  # pickup 100 m north
    far = await place_order(
        client,
        grandma,
        pickup={"building": "9", "lat": 39.9087 + 350 / 111_320, "lng": 116.3975},
        dropoff={"building": "7", "lat": 39.9087, "lng": 116.3975},
    )
    feed = (await client.get("/api/v1/errand/courier/feed", headers=courier.headers)).json()["items"]
    ids = [card["id"] for card in feed]
    assert ids.index(far["id"]) < ids.index(near["id"])  # farther, but an elderly-alone household's
    assert "elderly" not in str(feed)  # the flag itself stays with committee/admin
    assert {card["id"]: card["priority"] for card in feed if card["id"] in (far["id"], near["id"])} == {
        far["id"]: True,
        near["id"]: False,
    }  # the courier sees the order marked as a priority (关爱优先), not why
    distances = [card["distance_m"] for card in feed if card["id"] != far["id"]]
    assert distances == sorted(distances)


async def test_feed_keeps_to_the_radius(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier, north=-700)
    requester = community.person("resident")
    order = await place_order(client, requester)  # pickup 100 m north of the centre: 800 m away
    feed = await client.get("/api/v1/errand/courier/feed", headers=courier.headers)
    assert order["id"] not in feed.text
    await go_online(client, courier, north=-300)
    feed = await client.get("/api/v1/errand/courier/feed", headers=courier.headers)
    assert order["id"] in feed.text


async def test_points_levels_and_earnings(errand_app: ErrandApp) -> None:
    errand_app.clock.reset()
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    order = await place_order(client, requester, tip_fen=300)
    await drive(client, order, courier, requester, "completed")
    assert (
        await post(client, order["id"], "rate", requester, {"stars": 5, "comment": "很快"})
    ).status_code == 200
    again = await post(client, order["id"], "rate", requester, {"stars": 1})
    assert (again.status_code, again.json()["code"]) == (409, "order_already_rated")
    assert (await post(client, order["id"], "tip", requester, {"amount_fen": 200})).status_code == 200
    points = (await client.get("/api/v1/errand/courier/points", headers=courier.headers)).json()
    rules = errand_app.settings.points
    assert points["points"] == rules.on_time + rules.five_star
    assert {item["reason"] for item in points["items"]} == {"on_time_delivery", "five_star_rating"}
    assert points["level"]["code"] == "novice"
    assert points["next_level"]["code"] == "regular"

    # Completed at 23:30 UTC is the next morning in Shanghai: that is the day it counts for.
    late_evening = datetime.now(UTC).replace(hour=23, minute=30, second=0, microsecond=0) - timedelta(days=1)
    async with runtime_of(errand_app.app).uow() as uow:
        await uow.session.execute(
            update(orders).where(orders.c.id == uuid.UUID(order["id"])).values(completed_at=late_evening)
        )
        await uow.commit()
    days = (await client.get("/api/v1/errand/courier/earnings?by=day", headers=courier.headers)).json()
    shanghai_day = (late_evening + timedelta(hours=8)).strftime("%Y-%m-%d")
    assert days["items"] == [
        {
            "period": shanghai_day,
            "orders": 1,
            "fee_fen": order["price_fen"],
            "tip_fen": 500,
            "total_fen": order["price_fen"] + 500,
        }
    ]
    months = (
        await client.get("/api/v1/errand/courier/earnings?by=month&periods=2", headers=courier.headers)
    ).json()
    assert months["items"][0]["period"] == shanghai_day[:7]


async def test_lead_runner_level_allows_more_jobs(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    courier = await make_courier(errand_app.app, community)
    from errand.adapters.tables import couriers

    async with runtime_of(errand_app.app).uow() as uow:
        await uow.session.execute(update(couriers).where(couriers.c.user_id == courier.id).values(points=900))
        await uow.commit()
    points = (await client.get("/api/v1/errand/courier/points", headers=courier.headers)).json()
    assert (points["level"]["code"], points["level"]["name"]) == ("lead_runner", "领跑员")
    assert points["level"]["max_concurrent_jobs"] == 5
    assert points["next_level"] is None


async def test_stats_for_the_committee(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    requester = community.person("resident")
    courier = await make_courier(errand_app.app, community)
    await go_online(client, courier)
    done = await place_order(client, requester)
    await drive(client, done, courier, requester, "completed")
    await place_order(client, requester)
    refused = await client.get("/api/v1/errand/stats", headers=requester.headers)
    assert refused.status_code == 403
    stats = (
        await client.get("/api/v1/errand/stats?days=7", headers=community.person("committee").headers)
    ).json()
    assert sum(day["created"] for day in stats["orders_per_day"]) == 2
    assert sum(day["completed"] for day in stats["orders_per_day"]) == 1
    assert stats["couriers_active"] == 1
    assert stats["couriers_online"] == 1
    assert stats["acceptance_seconds"]["p50"] is not None
    assert stats["expiry_rate"] == 0.0


async def test_merchants_seeded_filtered_and_searched(errand_app: ErrandApp) -> None:
    client, community = errand_app.client, errand_app.community()
    async with runtime_of(errand_app.app).uow() as uow:
        created = await seed_merchants(uow, community.id, center=(39.9087, 116.3975), count=150)
    assert created == 150
    resident = community.person("resident")
    seen: list[dict[str, object]] = []
    cursor = None
    while True:
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/errand/merchants", params=params, headers=resident.headers)).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 150
    assert len({m["id"] for m in seen}) == 150
    pharmacies = (
        await client.get("/api/v1/errand/merchants?category=pharmacy", headers=resident.headers)
    ).json()
    assert pharmacies["items"]
    assert {m["category"] for m in pharmacies["items"]} == {"pharmacy"}
    found = (
        await client.get("/api/v1/errand/merchants", params={"q": "药"}, headers=resident.headers)
    ).json()
    assert found["items"]
    assert all("药" in f"{m['name']}{m['tags']}{m['address']}" for m in found["items"])
    other = errand_app.community().person("resident")
    assert (await client.get("/api/v1/errand/merchants", headers=other.headers)).json()["items"] == []
    created_by_resident = await client.post(
        "/api/v1/errand/merchants",
        json={"name": "x", "category": "bakery", "address": "y", "lat": 39.9, "lng": 116.4},
        headers=resident.headers,
    )
    assert created_by_resident.status_code == 403
