"""Consumers resume by themselves after the broker went away (item 13 of issue 9): after
``rabbitmqctl stop_app``/``start_app`` and after the node's Erlang VM was killed with SIGKILL and
started again, the same running consumer applies new events, without restarting the service."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
from sqlalchemy import text

import gateway.main
from contracts import Envelope, EventPayload, OrderCreatedV1
from gateway.config import Settings as GatewaySettings
from servicekit.db import UnitOfWork, create_engine
from servicekit.migrations import migrate
from servicekit.outbox import envelope_message
from servicekit.runtime import ServiceRuntime
from servicekit.settings import BaseServiceSettings
from servicekit.testing import isolated_database, isolated_settings
from tests.reliability.rabbit_node import RabbitNode

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

COMMUNITY = uuid.UUID("00000000-0000-4000-8000-000000000001")


def order_created() -> OrderCreatedV1:
    return OrderCreatedV1(
        community_id=COMMUNITY,
        order_id=uuid.uuid4(),
        requester_id=uuid.uuid4(),
        order_type="buy",
        price_fen=1,
    )


async def record(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    await uow.session.execute(text("INSERT INTO effects (event_id) VALUES (:id)"), {"id": envelope.event_id})


@contextlib.asynccontextmanager
async def consumer_database(settings: BaseServiceSettings) -> AsyncIterator[None]:
    async with isolated_database(settings):
        await migrate(settings, gateway.main.MIGRATIONS)
        engine = create_engine(settings.database_url.get_secret_value(), pool_size=1)
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE effects (event_id uuid PRIMARY KEY)"))
        await engine.dispose()
        yield


async def effects(settings: BaseServiceSettings) -> int:
    engine = create_engine(settings.database_url.get_secret_value(), pool_size=1)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM effects"))).scalar_one())
    finally:
        await engine.dispose()


async def publish(node: RabbitNode, settings: BaseServiceSettings, count: int) -> None:
    """Publish ``count`` events with confirms, retrying while the node is still coming back."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:
        try:
            connection = await aio_pika.connect(node.url, timeout=5)
            break
        except (OSError, aio_pika.exceptions.AMQPError):
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.5)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(settings.events_exchange)
        for _ in range(count):
            envelope = Envelope.wrap(order_created(), producer="errand")
            await exchange.publish(
                envelope_message(envelope.model_dump(mode="json")),
                routing_key=envelope.event_type,
                timeout=10,
            )


async def wait_for_effects(settings: BaseServiceSettings, expected: int, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 90
    while loop.time() < deadline:
        if await effects(settings) >= expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what}: {await effects(settings)} of {expected} effects after 90 s")


async def test_the_consumer_resumes_after_stop_app_start_app_and_after_a_hard_kill(
    private_broker: RabbitNode, namespace: str
) -> None:
    settings = isolated_settings(GatewaySettings, namespace=namespace, amqp_url=private_broker.url)
    async with (
        consumer_database(settings),
        ServiceRuntime(settings, handlers={OrderCreatedV1.event_type: record}),
    ):
        await publish(private_broker, settings, 10)
        await wait_for_effects(settings, 10, "before any outage")

        await asyncio.to_thread(private_broker.stop_app)
        await asyncio.sleep(2)
        await asyncio.to_thread(private_broker.start_app)
        await publish(private_broker, settings, 10)
        await wait_for_effects(settings, 20, "after stop_app/start_app")

        await asyncio.to_thread(private_broker.restart_after_kill)
        await publish(private_broker, settings, 10)
        await wait_for_effects(settings, 30, "after the node was killed with SIGKILL and restarted")
        await asyncio.sleep(1)  # a redelivery applied twice would show up as an extra effect
        assert await effects(settings) == 30
