"""The relay and the consumer through a broker outage (``stop_app``/``start_app`` of a private
node) while 1,000 events are produced: nothing is lost and each event is applied once."""

from __future__ import annotations

import asyncio

import pytest

from servicekit.runtime import ServiceRuntime
from tests.reliability.rabbit_node import RabbitNode
from tests.servicekit.conftest import Bus, eventually, open_bus, order_created

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

CREATED = order_created().event_type


async def test_broker_outage_while_producing_1000_events_loses_nothing_and_applies_each_once(
    private_broker: RabbitNode, namespace: str
) -> None:
    async with (
        open_bus(namespace, amqp_url=private_broker.url) as bus,
        ServiceRuntime(bus.consumer, handlers={CREATED: bus.record_effect}),
        ServiceRuntime(bus.producer, handlers={}) as producer,
    ):
        committed = 0

        async def produce() -> None:
            nonlocal committed
            for _ in range(1000):
                async with producer.uow() as uow:
                    uow.emit(order_created())
                    await uow.commit()
                committed += 1
                await asyncio.sleep(0.008)  # about 8 s of steady traffic

        production = asyncio.create_task(produce())
        while committed < 150:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(private_broker.stop_app)
        try:
            await asyncio.sleep(3)  # the producer keeps committing while the broker is gone
            stopped_at = committed
        finally:
            await asyncio.to_thread(private_broker.start_app)
        await production
        assert stopped_at < 1000, "the outage must happen while events are being produced"

        await eventually(lambda: _count(bus, 1000), timeout=120, what="all 1,000 effects after the outage")
        await eventually(lambda: _outbox_empty(bus), timeout=30, what="the outbox to drain")
        await asyncio.sleep(1)  # late redeliveries, if any, would show up as extra effects
        assert await bus.effects() == 1000
        assert await bus.distinct_effects() == 1000
        assert await bus.outbox_rows() == 0


async def _count(bus: Bus, expected: int) -> bool:
    return await bus.effects() >= expected


async def _outbox_empty(bus: Bus) -> bool:
    return await bus.outbox_rows() == 0
