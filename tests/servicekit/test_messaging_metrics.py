"""What an operator sees of messaging in /metrics: the outbox's backlog and the age of its oldest
row, events published per type, the consumer's lag and the dead-letter queue's depth, sampled from
the real PostgreSQL and RabbitMQ (servicekit/observability.py)."""

from __future__ import annotations

import asyncio
import re

import aio_pika
import httpx
from fastapi import FastAPI

from contracts import OrderCreatedV1
from servicekit.health import health_router
from servicekit.runtime import ServiceRuntime
from tests.servicekit.conftest import Bus, eventually, order_created

CREATED = OrderCreatedV1.event_type


async def scrape() -> str:
    app = FastAPI()
    app.include_router(health_router("test"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


def sample(metrics: str, name: str, **labels: str) -> float | None:
    for line in metrics.splitlines():
        if line.startswith(name + "{"):
            series, value = line.rsplit(" ", 1)
            if dict(re.findall(r'(\w+)="([^"]*)"', series)) == labels:
                return float(value)
    return None


async def test_outbox_backlog_age_and_events_published_per_type(bus: Bus) -> None:
    published_before = sample(
        await scrape(), "weilinli_events_published_total", service="errand", event_type=CREATED
    )
    async with ServiceRuntime(bus.producer, handlers={}, run_relay=False) as producer:
        for _ in range(3):
            async with producer.uow() as uow:
                uow.emit(order_created())
                await uow.commit()
        await asyncio.sleep(0.2)
        await producer.sampler.sample()
        waiting = await scrape()
    assert sample(waiting, "weilinli_outbox_backlog", service="errand") == 3
    oldest = sample(waiting, "weilinli_outbox_oldest_seconds", service="errand")
    assert oldest is not None
    assert 0.2 <= oldest < 60

    async with ServiceRuntime(bus.producer, handlers={}) as relaying:
        await eventually(lambda: _empty(bus), what="the outbox to drain")
        await relaying.sampler.sample()
        drained = await scrape()
    assert sample(drained, "weilinli_outbox_backlog", service="errand") == 0
    assert sample(drained, "weilinli_outbox_oldest_seconds", service="errand") == 0
    published = sample(drained, "weilinli_events_published_total", service="errand", event_type=CREATED)
    assert published == (published_before or 0) + 3


async def test_consumer_lag_and_dead_letter_depth(bus: Bus) -> None:
    before = await scrape()
    lag_count = "weilinli_event_lag_seconds_count"
    async with (
        ServiceRuntime(bus.consumer, handlers={CREATED: bus.record_effect}) as consumer,
        ServiceRuntime(bus.producer, handlers={}) as producer,
    ):
        async with producer.uow() as uow:
            uow.emit(order_created())
            await uow.commit()
        await eventually(lambda: _effects(bus, 1), what="the event handled")
        connection = await aio_pika.connect(bus.producer.amqp_url.get_secret_value())
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(bus.producer.events_exchange)
            for _ in range(2):
                await exchange.publish(aio_pika.Message(b"{not an event"), routing_key=CREATED)

        async def two_dead() -> bool:
            await consumer.sampler.sample()
            return sample(await scrape(), "weilinli_queue_messages", service="gateway", queue="dlq") == 2

        await eventually(two_dead, what="two dead letters counted")
        after = await scrape()
    assert sample(after, "weilinli_queue_messages", service="gateway", queue="main") == 0
    lags = (sample(after, lag_count, service="gateway", event_type=CREATED) or 0) - (
        sample(before, lag_count, service="gateway", event_type=CREATED) or 0
    )
    assert lags == 1
    total = sample(after, "weilinli_event_lag_seconds_sum", service="gateway", event_type=CREATED)
    assert total is not None
    assert total > 0


async def _empty(bus: Bus) -> bool:
    return await bus.outbox_rows() == 0


async def _effects(bus: Bus, n: int) -> bool:
    return await bus.effects() == n
