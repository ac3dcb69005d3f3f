"""An event bus between two real services for the messaging tests: a producer (errand) and a
consumer (gateway), each with its own freshly migrated database, on a private exchange."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import text

import errand.main
import gateway.main
from contracts import Envelope, EventPayload, OrderCreatedV1
from errand.config import Settings as ErrandSettings
from gateway.config import Settings as GatewaySettings
from servicekit.db import UnitOfWork, create_engine
from servicekit.migrations import migrate
from servicekit.settings import BaseServiceSettings
from servicekit.testing import delete_messaging, isolated_database, isolated_settings

COMMUNITY = uuid.UUID("00000000-0000-4000-8000-000000000001")


def order_created(order_id: uuid.UUID | None = None) -> OrderCreatedV1:
    return OrderCreatedV1(
        community_id=COMMUNITY,
        order_id=order_id or uuid.uuid4(),
        requester_id=uuid.uuid4(),
        order_type="buy",
        price_fen=800,
    )


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")


@dataclass
class Bus:
    producer: BaseServiceSettings
    consumer: BaseServiceSettings
    received: list[Envelope] = field(default_factory=list)

    async def record_effect(self, envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
        """The consumer's effect: one row per applied event, in the consumer's transaction."""
        assert isinstance(event, OrderCreatedV1)
        self.received.append(envelope)
        await uow.session.execute(
            text("INSERT INTO effects (event_id, order_id) VALUES (:event_id, :order_id)"),
            {"event_id": envelope.event_id, "order_id": event.order_id},
        )

    async def scalar(self, settings: BaseServiceSettings, sql: str, **params: Any) -> Any:
        engine = create_engine(settings.database_url.get_secret_value(), pool_size=1)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(sql), params)).scalar()
        finally:
            await engine.dispose()

    async def effects(self) -> int:
        return int(await self.scalar(self.consumer, "SELECT count(*) FROM effects"))

    async def distinct_effects(self) -> int:
        return int(await self.scalar(self.consumer, "SELECT count(DISTINCT event_id) FROM effects"))

    async def outbox_rows(self) -> int:
        return int(await self.scalar(self.producer, "SELECT count(*) FROM outbox_messages"))


@contextlib.asynccontextmanager
async def open_bus(namespace: str, **overrides: Any) -> AsyncIterator[Bus]:
    """Producer and consumer settings with fresh databases (``overrides``: e.g. another broker)."""
    producer = isolated_settings(ErrandSettings, namespace=namespace, delivery_limit=3, **overrides)
    consumer = isolated_settings(GatewaySettings, namespace=namespace, delivery_limit=3, **overrides)
    async with isolated_database(producer), isolated_database(consumer):
        await migrate(producer, errand.main.MIGRATIONS)
        await migrate(consumer, gateway.main.MIGRATIONS)
        engine = create_engine(consumer.database_url.get_secret_value(), pool_size=1)
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE effects (event_id uuid NOT NULL, order_id uuid NOT NULL)"))
        await engine.dispose()
        try:
            yield Bus(producer, consumer)
        finally:
            with contextlib.suppress(Exception):  # a private broker may be gone already
                await delete_messaging(
                    consumer,
                    consumer.queue_name,
                    consumer.dead_letter_queue_name,
                    producer.queue_name,
                    producer.dead_letter_queue_name,
                )


@pytest.fixture
async def bus(namespace: str) -> AsyncIterator[Bus]:
    async with open_bus(namespace) as opened:
        yield opened
