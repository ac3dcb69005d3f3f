"""Helpers for the errand tests: a movable clock, the cast of an order (tokens), events captured
from the test exchange, and short-hands for placing and moving orders."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import redis.asyncio as aioredis
from fastapi import FastAPI

import errand.main
from contracts import Envelope
from errand.config import Settings
from errand.service_layer.couriers import set_courier_active
from servicekit.runtime import ServiceRuntime
from servicekit.stack import ServiceSpec, Stack, running_stack
from servicekit.tokens import TokenSigner

# A spot in the example community (a Beijing old residential compound) and places around it.
CENTER = (39.9087, 116.3975)


def offset(meters_north: float, meters_east: float = 0.0) -> tuple[float, float]:
    """A point about that many metres from CENTER (good enough inside a 500 m circle)."""
    return CENTER[0] + meters_north / 111_320, CENTER[1] + meters_east / 85_390


def place(building: str, north: float = 0.0, east: float = 0.0, **extra: Any) -> dict[str, Any]:
    lat, lng = offset(north, east)
    return {
        "building": building,
        "unit": "2",
        "room": "1101",
        "detail": f"{building}号楼 2单元 1101",
        "lat": lat,
        "lng": lng,
        **extra,
    }


class MovableClock:
    """The app's clock: real time plus an offset the test moves."""

    def __init__(self) -> None:
        self.shift = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def advance(self, delta: timedelta) -> None:
        self.shift += delta

    def reset(self) -> None:
        self.shift = timedelta()


@dataclass
class Person:
    id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Community:
    """A fresh community per test: everyone in it is a stranger to every other test's data."""

    signer: TokenSigner
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def person(self, *roles: str, household_id: uuid.UUID | None = None) -> Person:
        user_id = uuid.uuid4()
        token = self.signer.sign(
            user_id=user_id,
            community_id=self.id,
            roles=roles,
            household_id=household_id,
            building="3",
            ttl_seconds=3600,
        )
        return Person(user_id, token)


async def enrol_in_gateway(gateway_app: FastAPI, community: Community, *people: Person) -> None:
    """Make `community` and `people` users the gateway knows (as sign-up would): the gateway
    notifies only users of the event's community."""
    from sqlalchemy.dialects.postgresql import insert

    from gateway.adapters.tables import communities, users

    async with runtime_of(gateway_app).uow() as uow:
        await uow.session.execute(
            insert(communities)
            .values(id=community.id, code=f"c-{community.id.hex[:12]}", name="测试社区")
            .on_conflict_do_nothing()
        )
        rows = [
            {"id": p.id, "community_id": community.id, "wechat_openid": f"test-{p.id}", "display_name": "x"}
            for p in people
        ]
        await uow.session.execute(insert(users).values(rows))
        await uow.commit()


def runtime_of(app: FastAPI) -> ServiceRuntime:
    runtime: ServiceRuntime = app.state.runtime
    return runtime


async def make_courier(app: FastAPI, community: Community) -> Person:
    """A courier whose profile exists (as after gateway.role.granted.v1)."""
    courier = community.person("resident", "courier")
    async with runtime_of(app).uow() as uow:
        await set_courier_active(uow, community.id, courier.id, active=True, at=datetime.now(UTC))
        await uow.commit()
    return courier


async def go_online(
    client: httpx.AsyncClient, courier: Person, north: float = 0.0, east: float = 0.0
) -> None:
    lat, lng = offset(north, east)
    response = await client.put(
        "/api/v1/errand/courier/presence",
        json={"online": True, "lat": lat, "lng": lng},
        headers=courier.headers,
    )
    assert response.status_code == 200, response.text


def quote_body(order_type: str = "deliver", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": order_type, "pickup": place("5", 100), "dropoff": place("3", -100)}
    if order_type == "pickup_parcel":
        body["parcel_code"] = "3-2-1108"
    elif order_type == "pay_bill":
        body.pop("pickup")
        body["bill_account"] = "1100456789"
        body["bill_kind"] = "electricity"
    elif order_type == "queue":
        body["queue_minutes"] = 40
    elif order_type == "home_service":
        body.pop("pickup")
        start = datetime.now(UTC) + timedelta(days=1)
        body["time_slot"] = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    body.update(overrides)
    return body


async def place_order(
    client: httpx.AsyncClient, requester: Person, order_type: str = "deliver", **overrides: Any
) -> dict[str, Any]:
    """Quote, then order on the quote; ``note`` and ``tip_fen`` go to the order, the rest to the quote."""
    order_fields = {key: overrides.pop(key) for key in ("note", "tip_fen") if key in overrides}
    quote = await client.post(
        "/api/v1/errand/quotes", json=quote_body(order_type, **overrides), headers=requester.headers
    )
    assert quote.status_code == 201, quote.text
    order = await client.post(
        "/api/v1/errand/orders",
        json={"quote_id": quote.json()["quote_id"], **order_fields},
        headers=requester.headers,
    )
    assert order.status_code == 201, order.text
    body: dict[str, Any] = order.json()
    return body


async def post(
    client: httpx.AsyncClient, order_id: str, step: str, who: Person, body: Any = None
) -> httpx.Response:
    return await client.post(f"/api/v1/errand/orders/{order_id}/{step}", json=body, headers=who.headers)


async def drive(
    client: httpx.AsyncClient, order: dict[str, Any], courier: Person, requester: Person, to: str
) -> None:
    """Move an order along the happy path up to status ``to``."""
    steps: list[tuple[str, Person, Any]] = [
        ("accept", courier, None),
        ("arrive", courier, None),
        ("pickup", courier, None),
        ("deliver", courier, {"delivery_code": order["delivery_code"]}),
        ("confirm", requester, None),
    ]
    reached = {
        "accept": "accepted",
        "arrive": "arrived",
        "pickup": "picked_up",
        "deliver": "delivered",
        "confirm": "completed",
    }
    for step, who, body in steps:
        response = await post(client, order["id"], step, who, body)
        assert response.status_code == 200, (step, response.text)
        if reached[step] == to:
            return
    raise AssertionError(f"unknown target status {to}")


class EventTap:
    """A queue of our own bound to the test exchange: what the service really published."""

    def __init__(self, amqp_url: str, exchange: str) -> None:
        self.amqp_url = amqp_url
        self.exchange = exchange
        self.seen: list[Envelope] = []
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self.amqp_url)
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="errand.#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                self.seen.append(Envelope.model_validate(json.loads(message.body)))

        await queue.consume(on_message)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def wait_for(
        self, predicate: Callable[[Envelope], bool], *, timeout: float = 10.0, what: str = "event"
    ) -> Envelope:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for envelope in self.seen:
                if predicate(envelope):
                    return envelope
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no {what} published; saw {[e.event_type for e in self.seen][-20:]}")
            await asyncio.sleep(0.05)

    def of_order(self, order_id: str, event_type: str) -> Callable[[Envelope], bool]:
        return lambda e: e.event_type == event_type and e.payload.get("order_id") == order_id


def errand_spec() -> ServiceSpec:
    return ServiceSpec("errand", Settings, errand.main.create_app, errand.main.MIGRATIONS)


@contextlib.asynccontextmanager
async def errand_server(namespace: str, signer: TokenSigner) -> AsyncIterator[Stack]:
    """The errand service alone as a real uvicorn server (what `tests.e2e.stack.stack_of(["errand"])`
    starts, without importing the other services)."""
    with tempfile.TemporaryDirectory(prefix="errand-photos-") as photo_root:
        async with running_stack(
            [errand_spec()],
            namespace=namespace,
            public_key_pem=signer.public_pem,
            overrides={
                "errand": {"redis_key_prefix": f"wltest:{namespace}:errand", "photo_root": photo_root}
            },
        ) as stack:
            try:
                yield stack
            finally:
                await drop_redis_keys(stack.settings["errand"].redis_url, f"wltest:{namespace}:errand")


async def drop_redis_keys(redis_url: str, prefix: str) -> None:
    client = aioredis.from_url(redis_url)
    try:
        async for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            await client.delete(key)
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def errand_behind_gateway(namespace: str, signer: TokenSigner) -> AsyncIterator[Stack]:
    """The errand service and the gateway in front of it, real servers (as
    `tests.e2e.stack.stack_of(["errand", "gateway"])`, without importing reports and forum).
    The gateway's rate limits are off: what is tested here is its routing, not its throttling."""
    import gateway.config
    import gateway.main

    gateway_spec = ServiceSpec(
        "gateway", gateway.config.Settings, gateway.main.create_app, gateway.main.MIGRATIONS
    )
    async with running_stack(
        [errand_spec(), gateway_spec],
        namespace=namespace,
        public_key_pem=signer.public_pem,
        overrides={
            "errand": {"redis_key_prefix": f"wltest:{namespace}:errand"},
            "gateway": {
                "jwt_private_key": signer.private_pem,
                "reports_url": "http://127.0.0.1:1",
                "forum_url": "http://127.0.0.1:1",
                "payments_url": "http://127.0.0.1:1",
                "rate_limit_enabled": False,
            },
        },
        gateway_upstream_fields={"errand": "errand_url"},
    ) as stack:
        try:
            yield stack
        finally:
            await drop_redis_keys(stack.settings["errand"].redis_url, f"wltest:{namespace}:errand")
