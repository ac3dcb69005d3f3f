"""Helpers for the forum tests: the app with its real lifespan on an isolated database and
exchange, signed tokens, events in (published to the exchange) and out (a tap queue)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

import forum.main
from contracts import Envelope, EventPayload, HouseholdVerifiedV1, RoleGrantedV1, UserRegisteredV1
from forum.adapters.tables import people as people_table
from forum.config import Settings
from servicekit.migrations import migrate
from servicekit.outbox import envelope_message
from servicekit.testing import delete_messaging, isolated_database, isolated_settings
from servicekit.tokens import TokenSigner

SIGNER = TokenSigner.generate()


def forum_settings(namespace: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "jwt_public_key": SIGNER.public_pem,
        "redis_prefix": f"wltest:{namespace}:forum:",
        "jobs_enabled": False,
        "support_threshold": 3,
        "quorum": 2,
    }
    values.update(overrides)
    return isolated_settings(Settings, namespace=namespace, **values)


@dataclass
class Clock:
    """Real time moved by `offset`: tests jump days ahead without sleeping."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Forum:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    clock: Clock


@contextlib.asynccontextmanager
async def running_forum(namespace: str, **overrides: Any) -> AsyncIterator[Forum]:
    settings = forum_settings(namespace, **overrides)
    async with isolated_database(settings):
        await migrate(settings, forum.main.MIGRATIONS)
        app = forum.main.create_app(settings)
        try:
            async with LifespanManager(app) as manager:
                clock = Clock()
                app.state.clock = clock
                transport = httpx.ASGITransport(app=manager.app)
                async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                    yield Forum(app, client, settings, clock)
        finally:
            await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    community_id: uuid.UUID
    roles: tuple[str, ...] = ("resident",)
    household_id: uuid.UUID | None = None
    building: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        token = SIGNER.sign(
            user_id=self.id,
            community_id=self.community_id,
            roles=self.roles,
            household_id=self.household_id,
            building=self.building,
        )
        return {"Authorization": f"Bearer {token}"}


def person(
    community_id: uuid.UUID, *roles: str, household_id: uuid.UUID | None = None, building: str | None = None
) -> Person:
    return Person(uuid.uuid4(), community_id, roles or ("resident",), household_id, building)


async def publish(settings: Settings, *payloads: EventPayload, copies: int = 1) -> list[Envelope]:
    """Publish events to the test exchange, as the producing service's relay would."""
    envelopes = [Envelope.wrap(p, producer="test") for p in payloads]
    await publish_envelopes(settings, envelopes, copies=copies)
    return envelopes


async def publish_envelopes(settings: Settings, envelopes: list[Envelope], copies: int = 1) -> None:
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(settings.events_exchange)
        for envelope in envelopes:
            for _ in range(copies):
                await exchange.publish(
                    envelope_message(envelope.model_dump(mode="json")),
                    routing_key=envelope.event_type,
                    timeout=5,
                )


async def eventually(check: Callable[[], Awaitable[bool]], *, what: str, attempts: int = 200) -> None:
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def make_mediator(forum_: Forum, user: Person) -> None:
    await publish(
        forum_.settings, RoleGrantedV1(community_id=user.community_id, user_id=user.id, role="mediator")
    )

    async def known() -> bool:
        me = await forum_.client.get("/api/v1/forum/me", headers=user.headers)
        return bool(me.json()["is_mediator"])

    await eventually(known, what="mediator role projected")


async def verify_households(forum_: Forum, people: list[Person], building: str = "3号楼") -> None:
    """Publish gateway.household.verified.v1 for each person (their household_id) and wait."""
    await publish(
        forum_.settings,
        *(
            HouseholdVerifiedV1(
                community_id=p.community_id,
                household_id=p.household_id or uuid.uuid4(),
                user_id=p.id,
                building=building,
                unit="1",
                room="101",
                elderly_alone=False,
            )
            for p in people
        ),
    )
    for p in people:

        async def known(p: Person = p) -> bool:
            me = await forum_.client.get("/api/v1/forum/me", headers=p.headers)
            return me.json()["household_id"] is not None

        await eventually(known, what="household projected")


async def register(settings: Settings, *people: Person) -> None:
    """Publish gateway.user.registered.v1 for each person, as their sign-up would."""
    await publish(
        settings,
        *(UserRegisteredV1(community_id=p.community_id, user_id=p.id, channel="phone") for p in people),
    )


async def known_to_forum(forum_: Forum, *people: Person) -> None:
    """Register `people` (their sign-up events) and wait until the forum knows them."""
    await known_to_forum_app(forum_.app, forum_.settings, *people)


async def known_to_forum_app(app: FastAPI, settings: Settings, *people: Person) -> None:
    """`known_to_forum` for a forum app running in a stack."""
    await register(settings, *people)

    async def known() -> bool:
        async with app.state.runtime.uow() as uow:
            rows = await uow.session.execute(
                select(people_table.c.community_id, people_table.c.user_id).where(
                    people_table.c.user_id.in_([p.id for p in people])
                )
            )
            return set(rows.tuples()) == {(p.community_id, p.id) for p in people}

    await eventually(known, what="people projected from their sign-up")


class EventTap:
    """A private queue bound to the test exchange: what the service published."""

    def __init__(self, settings: Settings, *routing_keys: str) -> None:
        self._settings = settings
        self._keys = routing_keys or ("#",)
        self.received: list[Envelope] = []
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def __aenter__(self) -> EventTap:
        self._connection = await aio_pika.connect_robust(self._settings.amqp_url.get_secret_value())
        channel = await self._connection.channel()
        exchange = await channel.get_exchange(self._settings.events_exchange)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in self._keys:
            await queue.bind(exchange, routing_key=key)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                self.received.append(Envelope.model_validate(json.loads(message.body)))

        await queue.consume(on_message)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    def of(self, event_type: str) -> list[Envelope]:
        return [e for e in self.received if e.event_type == event_type]
