"""The recipient at the door (issue 11 point 4), through the gateway: 吕女士 orders a meal for her
mother, who lives alone in another household of the community. The order is first in the feed;
the mother (an account of that household) is notified and reads the delivery code; the courier
sees the address and the recipient's phone while the order is theirs, and loses them once it is
delivered and completed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import update

from errand.service_layer.couriers import record_household
from gateway.adapters.tables import users
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.errand.helpers import (
    Community,
    drive,
    enrol_in_gateway,
    errand_behind_gateway,
    go_online,
    place,
    place_order,
    post,
    runtime_of,
)


async def test_a_daughter_orders_for_her_elderly_mother() -> None:
    signer = TokenSigner.generate()
    async with (
        errand_behind_gateway(new_namespace(), signer) as stack,
        httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=30) as client,
    ):
        community = Community(signer)
        mothers_home = uuid.uuid4()
        daughter = community.person("resident")
        mother = community.person("resident", household_id=mothers_home)
        neighbour = community.person("resident")
        courier = community.person("resident", "courier")
        await enrol_in_gateway(stack.apps["gateway"], community, daughter, mother, neighbour, courier)
        async with runtime_of(stack.apps["gateway"]).uow() as uow:
            await uow.session.execute(
                update(users).where(users.c.id == mother.id).values(household_id=mothers_home)
            )
            await uow.commit()
        async with runtime_of(stack.apps["errand"]).uow() as uow:
            from errand.service_layer.couriers import set_courier_active

            await set_courier_active(uow, community.id, courier.id, active=True, at=datetime.now(UTC))
            await record_household(
                uow, community.id, mother.id, mothers_home, "7", elderly_alone=True, at=datetime.now(UTC)
            )
            await uow.commit()
        await go_online(client, courier)

        # A household of no one in this community: 422, nothing written.
        refused = await client.post(
            "/api/v1/errand/quotes",
            json={
                "type": "deliver",
                "pickup": place("5", 100),
                "dropoff": place("7", -100),
                "recipient": {"name": "陈阿姨", "phone": "13800000000", "household_id": str(uuid.uuid4())},
            },
            headers=daughter.headers,
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "recipient_household_unknown"

        near = await place_order(client, neighbour, pickup=place("5", 10), dropoff=place("3", -10))
        order = await place_order(
            client,
            daughter,
            pickup=place("5", 200),
            dropoff=place("7", -200, unit="2", room="301"),
            recipient={"name": "陈阿姨", "phone": "13800001234", "household_id": str(mothers_home)},
        )
        feed = (await client.get("/api/v1/errand/courier/feed", headers=courier.headers)).json()["items"]
        ids = [card["id"] for card in feed]
        assert ids.index(order["id"]) < ids.index(near["id"])  # farther, but for a mother living alone

        # The mother is told, in her language, and reads the code in the order.
        for _ in range(200):
            inbox = (await client.get("/api/v1/me/notifications", headers=mother.headers)).json()["items"]
            if inbox:
                break
            await asyncio.sleep(0.05)
        [told] = inbox
        assert told["event_type"] == "errand.order.created.v1"
        assert told["title"] == "有人为您下了跑腿订单"
        assert told["link"] == {"type": "errand_order", "id": order["id"]}
        seen_by_mother = await client.get(f"/api/v1/errand/orders/{order['id']}", headers=mother.headers)
        assert seen_by_mother.status_code == 200
        assert seen_by_mother.json()["delivery_code"] == order["delivery_code"]
        nosy = await client.get(f"/api/v1/errand/orders/{order['id']}", headers=neighbour.headers)
        assert nosy.status_code == 404

        await drive(client, order, courier, daughter, "picked_up")
        working = (await client.get(f"/api/v1/errand/orders/{order['id']}", headers=courier.headers)).json()
        assert working["dropoff"]["room"] == "301"
        assert working["recipient"]["phone"] == "13800001234"
        delivered = await post(
            client, order["id"], "deliver", courier, {"delivery_code": order["delivery_code"]}
        )
        assert delivered.status_code == 200, delivered.text
        assert (await post(client, order["id"], "confirm", daughter)).status_code == 200
        views = [
            (await client.get(f"/api/v1/errand/orders/{order['id']}", headers=courier.headers)).json(),
            *(await client.get("/api/v1/errand/orders?as=courier", headers=courier.headers)).json()["items"],
        ]
        for view in views:
            assert view["dropoff"] is None
            assert view["note"] is None
            assert view["recipient"]["phone"] == "*******1234"
            # No field but ids and times may carry the room (a uuid or a timestamp may contain "301").
            words = [text for key, text in _leaves(view) if not key.endswith(("id", "_at", "at"))]
            assert not [text for text in words if "301" in text or "13800001234" in text]


async def test_a_recipient_named_by_phone_gets_the_code_by_sms_or_notification() -> None:
    """No household named: a phone without an account gets an SMS with the code (the development
    catcher at /dev/sms); a phone with an account of the community gets a notification with the
    code, and then the order's progress."""
    signer = TokenSigner.generate()
    async with (
        errand_behind_gateway(new_namespace(), signer) as stack,
        httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=30) as client,
    ):
        community = Community(signer)
        daughter = community.person("resident")
        aunt = community.person("resident")  # has an account, lives in no household of the app
        courier = community.person("resident", "courier")
        await enrol_in_gateway(stack.apps["gateway"], community, daughter, aunt, courier)
        aunts_phone, strangers_phone = (
            f"139{uuid.uuid4().int % 10**8:08d}",
            f"137{uuid.uuid4().int % 10**8:08d}",
        )
        async with runtime_of(stack.apps["gateway"]).uow() as uow:
            await uow.session.execute(update(users).where(users.c.id == aunt.id).values(phone=aunts_phone))
            await uow.commit()
        async with runtime_of(stack.apps["errand"]).uow() as uow:
            from errand.service_layer.couriers import set_courier_active

            await set_courier_active(uow, community.id, courier.id, active=True, at=datetime.now(UTC))
            await uow.commit()
        await go_online(client, courier)

        to_stranger = await place_order(
            client, daughter, recipient={"name": "王大爷", "phone": f"+86 {strangers_phone}"}
        )
        texted: list[dict[str, Any]] = []
        for _ in range(200):
            texted = (await client.get("/dev/sms", params={"phone": strangers_phone})).json()["items"]
            if texted:
                break
            await asyncio.sleep(0.05)
        [sms] = texted
        assert sms["purpose"] == "delivery"
        assert sms["code"] == to_stranger["delivery_code"]
        assert to_stranger["delivery_code"] in sms["text"]
        assert "帮送" in sms["text"]

        to_aunt = await place_order(client, daughter, recipient={"name": "二姨", "phone": aunts_phone})

        async def inbox() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = (
                await client.get(
                    "/api/v1/me/notifications", headers={**aunt.headers, "Accept-Language": "en"}
                )
            ).json()["items"]
            return items

        for _ in range(200):
            if await inbox():
                break
            await asyncio.sleep(0.05)
        [told] = await inbox()
        assert told["event_type"] == "errand.order.recipient_code.v1"
        assert to_aunt["delivery_code"] in told["body"]
        assert told["link"] == {"type": "errand_order", "id": to_aunt["id"]}
        assert (await client.get("/dev/sms", params={"phone": aunts_phone})).json()["items"] == []
        # The order's progress reaches her too.
        await drive(client, to_aunt, courier, daughter, "picked_up")
        for _ in range(200):
            kinds = [item["event_type"] for item in await inbox()]
            if "errand.order.picked_up.v1" in kinds:
                break
            await asyncio.sleep(0.05)
        assert "errand.order.accepted.v1" in kinds
        assert "errand.order.picked_up.v1" in kinds


def _leaves(value: Any, key: str = "") -> list[tuple[str, str]]:
    """(key, text) of every string in a JSON value."""
    if isinstance(value, dict):
        return [leaf for name, item in value.items() for leaf in _leaves(item, name)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, key)]
    return [(key, value)] if isinstance(value, str) else []
