"""Two errand replicas on one database and one queue, each behind its own gateway replica (two
gateways on one database, one queue and one Redis): an order placed through one pair is taken,
delivered and confirmed through the other, and the requester's live streams, one open on each
gateway, receive each status change exactly once. What makes it work: shared rows with locks
(errand), relays sharing the outbox, competing consumers with an inbox, and the notification
fan-out through Redis (docs/operations.md, "Replicas: what makes them safe")."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
import pytest

import errand.main
import gateway.main
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.errand.helpers import (
    Community,
    Person,
    drive,
    enrol_in_gateway,
    errand_behind_gateway,
    go_online,
    make_courier,
    place_order,
)
from tests.gateway.helpers import SseReader, serve_app

pytestmark = pytest.mark.timeout(120)

STREAM = "/api/v1/me/notifications/stream"
REQUESTER_HEARS = ["errand.order.accepted.v1", "errand.order.picked_up.v1", "errand.order.delivered.v1"]

Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def recording(app: Any, served: list[str]) -> Asgi:
    """The app, noting the method and path of every HTTP request it serves."""

    async def wrapper(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            served.append(f"{scope['method']} {scope['path']}")
        await app(scope, receive, send)

    return wrapper


def streamed(reader: SseReader, order_id: str) -> list[str]:
    return [n["event_type"] for n in reader.notifications() if n.get("data", {}).get("order_id") == order_id]


async def test_an_order_crosses_replicas_and_each_stream_hears_each_change_once() -> None:
    signer = TokenSigner.generate()
    async with errand_behind_gateway(new_namespace(), signer) as stack:
        # The second errand replica: the same settings, so the same database, queue and Redis.
        second_errand = errand.main.create_app(stack.settings["errand"])
        second_served: list[str] = []
        async with serve_app(recording(second_errand, second_served)) as errand_b:
            gateway_settings = stack.settings["gateway"].model_copy(update={"errand_url": errand_b})
            async with (
                serve_app(gateway.main.create_app(gateway_settings)) as gateway_b,
                httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=30) as via_a,
                httpx.AsyncClient(base_url=gateway_b, timeout=30) as via_b,
            ):
                community = Community(signer)
                requester = community.person("resident")
                courier = await make_courier(stack.apps["errand"], community)
                await enrol_in_gateway(stack.apps["gateway"], community, requester, courier)
                async with (
                    httpx.AsyncClient(timeout=None) as streams,
                    SseReader(streams, stack.urls["gateway"] + STREAM, requester.headers).running() as on_a,
                    SseReader(streams, gateway_b + STREAM, requester.headers).running() as on_b,
                ):
                    await go_online(via_b, courier)
                    order = await place_order(via_a, requester)  # errand A
                    await drive(via_b, order, courier, requester, "delivered")  # errand B
                    confirmed = await via_a.post(  # back on errand A
                        f"/api/v1/errand/orders/{order['id']}/confirm", headers=requester.headers
                    )
                    assert confirmed.status_code == 200, confirmed.text
                    assert confirmed.json()["status"] == "completed"
                    await _until(lambda: _heard_all(on_a, on_b, order["id"]))
                    # The courier's own notification comes after the requester's last one in
                    # the event order: once filed, any duplicate for the requester would be too.
                    await _until(lambda: _courier_heard(via_a, courier, order["id"]))
                    await asyncio.sleep(0.5)
                    for reader in (on_a, on_b):
                        heard = streamed(reader, order["id"])
                        assert Counter(heard) == Counter(REQUESTER_HEARS), heard
        # The flow really crossed: errand B took the courier's steps and never the order itself.
        oid = order["id"]
        for step in ("accept", "arrive", "pickup", "deliver"):
            assert f"POST /api/v1/errand/orders/{oid}/{step}" in second_served, step
        assert "POST /api/v1/errand/orders" not in second_served
        assert f"POST /api/v1/errand/orders/{oid}/confirm" not in second_served


async def _heard_all(on_a: SseReader, on_b: SseReader, order_id: str) -> bool:
    heard = [set(streamed(reader, order_id)) for reader in (on_a, on_b)]
    return all(set(REQUESTER_HEARS) <= each for each in heard)


async def _courier_heard(client: httpx.AsyncClient, courier: Person, order_id: str) -> bool:
    response = await client.get("/api/v1/me/notifications", headers=courier.headers)
    return any(
        item["event_type"] == "errand.order.completed.v1" and item["data"].get("order_id") == order_id
        for item in response.json()["items"]
    )


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not within time")
        await asyncio.sleep(0.1)
