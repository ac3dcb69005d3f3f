"""The outbox relay keeps publishing while one message is slow or refused (issue 9, item 11).

The broker is the real RabbitMQ; lateness and refusal are injected at the relay's seam with the
broker, the exchange it publishes to: the message really goes out, only its confirm is held back
(or, for a refusal, the publish fails before anything is sent).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, cast

import aio_pika

from servicekit.broker import Broker
from servicekit.outbox import OutboxRelay
from servicekit.runtime import ServiceRuntime
from tests.servicekit.conftest import Bus, eventually, order_created

CREATED = "errand.order.created.v1"


class TroubledExchange:
    """The real exchange, except for the messages named in ``late`` (their confirm is held back
    until ``release`` is set) and ``refuse_once`` (the first publish fails as a confirm timeout)."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.late: set[str] = set()
        self.refuse_once: set[str] = set()
        self.release = asyncio.Event()
        self.published: Counter[str] = Counter()

    async def publish(self, message: aio_pika.Message, routing_key: str, **kwargs: Any) -> Any:
        event_id = str(message.message_id)
        if event_id in self.refuse_once:
            self.refuse_once.discard(event_id)
            raise TimeoutError("no confirm for this message in time")
        result = await self.broker.exchange.publish(message, routing_key, **kwargs)
        self.published[event_id] += 1
        if event_id in self.late:
            await self.release.wait()
        return result


class TroubledBroker:
    """What the relay uses of a Broker, publishing through a TroubledExchange."""

    def __init__(self, broker: Broker) -> None:
        self.exchange = TroubledExchange(broker)
        self._broker = broker

    @property
    def is_connected(self) -> bool:
        return self._broker.is_connected


async def emit(producer: ServiceRuntime, count: int) -> list[str]:
    async with producer.uow() as uow:
        ids = [str(uow.emit(order_created()).event_id) for _ in range(count)]
        await uow.commit()
    return ids


async def test_one_late_confirm_does_not_hold_back_the_rest_of_its_batch_or_the_next(bus: Bus) -> None:
    # A confirm that is late, not lost: far from the publish timeout.
    settings = bus.producer.model_copy(update={"publish_timeout_seconds": 120.0})
    async with (
        ServiceRuntime(bus.consumer, handlers={CREATED: bus.record_effect}),
        ServiceRuntime(settings, handlers={}, run_relay=False) as producer,
    ):
        troubled = TroubledBroker(producer.broker)
        relay = OutboxRelay(producer.engine, cast(Broker, troubled), settings)
        first = await emit(producer, 20)
        troubled.exchange.late.add(first[4])
        relay.start()
        try:
            await eventually(lambda: _outbox_is(bus, 1), timeout=15, what="the 19 confirmed rows deleted")
            await eventually(lambda: _effects_are(bus, 20), what="the whole batch delivered")

            # While that confirm is still outstanding, new events keep going out.
            second = await emit(producer, 10)
            await eventually(lambda: _effects_are(bus, 30), timeout=15, what="the next events delivered")
            await eventually(lambda: _outbox_is(bus, 1), timeout=15, what="the next events deleted")
            assert not troubled.exchange.release.is_set()

            troubled.exchange.release.set()
            await eventually(lambda: _outbox_is(bus, 0), what="the late row deleted once confirmed")
        finally:
            troubled.exchange.release.set()
            await relay.stop()

    # Without a crash, no event was published twice.
    assert troubled.exchange.published == Counter(dict.fromkeys(first + second, 1))
    assert await bus.effects() == await bus.distinct_effects() == 30


async def test_one_failed_publish_is_retried_alone_and_soon(bus: Bus) -> None:
    async with (
        ServiceRuntime(bus.consumer, handlers={CREATED: bus.record_effect}),
        ServiceRuntime(bus.producer, handlers={}, run_relay=False) as producer,
    ):
        troubled = TroubledBroker(producer.broker)
        relay = OutboxRelay(producer.engine, cast(Broker, troubled), bus.producer)
        ids = await emit(producer, 20)
        troubled.exchange.refuse_once.add(ids[7])
        relay.start()
        try:
            await eventually(lambda: _outbox_is(bus, 0), what="every row published and deleted")
            await eventually(lambda: _effects_are(bus, 20), what="every event delivered")
        finally:
            await relay.stop()

    # The other 19 were completed by the first attempt, not sent back with the failed one.
    assert troubled.exchange.published == Counter(dict.fromkeys(ids, 1))
    assert await bus.effects() == await bus.distinct_effects() == 20


async def _outbox_is(bus: Bus, expected: int) -> bool:
    return await bus.outbox_rows() == expected


async def _effects_are(bus: Bus, expected: int) -> bool:
    return await bus.effects() >= expected
