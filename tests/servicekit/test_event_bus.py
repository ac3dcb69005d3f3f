"""The lossless event bus, end to end on the real PostgreSQL and RabbitMQ: unit of work ->
outbox -> relay -> exchange -> another service's quorum queue -> inbox -> handler."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aio_pika
import pytest
from prometheus_client import REGISTRY

from contracts import Envelope, EventPayload, OrderCreatedV1
from servicekit.consumer import retry_delay
from servicekit.outbox import OutboxRelay, envelope_message
from servicekit.runtime import ServiceRuntime
from tests.servicekit.conftest import Bus, eventually, order_created

CREATED = OrderCreatedV1.event_type


def consumed(service: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "weilinli_events_consumed_total", {"service": service, "event_type": CREATED, "outcome": outcome}
    )
    return value or 0.0


async def publish_raw(bus: Bus, envelope: Envelope, copies: int = 1) -> None:
    """Publish straight to the exchange, as a relay that crashed after publishing would have."""
    connection = await aio_pika.connect(bus.producer.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(bus.producer.events_exchange)
        body = envelope.model_dump(mode="json")
        await asyncio.gather(
            *(
                exchange.publish(envelope_message(body), routing_key=envelope.event_type, timeout=5)
                for _ in range(copies)
            )
        )


async def test_committed_event_reaches_another_service_with_its_envelope_intact(bus: Bus) -> None:
    async with (
        ServiceRuntime(bus.consumer, handlers={CREATED: bus.record_effect}),
        ServiceRuntime(bus.producer, handlers={}) as producer,
    ):
        actor = uuid.uuid4()
        async with producer.uow(correlation_id="req-abc-123", actor_id=actor) as uow:
            sent = uow.emit(order_created())
            await uow.commit()

        await eventually(lambda: _count(bus, 1), what="the event at the consumer")

    [got] = bus.received
    assert got == sent
    assert got.event_type == CREATED
    assert got.producer == "errand"
    assert got.correlation_id == "req-abc-123"
    assert got.actor_id == actor
    assert got.parse_payload() == OrderCreatedV1.model_validate(sent.payload)
    assert await bus.outbox_rows() == 0


async def test_rolled_back_transaction_publishes_nothing(bus: Bus) -> None:
    async with (
        ServiceRuntime(bus.consumer, handlers={CREATED: bus.record_effect}),
        ServiceRuntime(bus.producer, handlers={}) as producer,
    ):

        async def failing_use_case() -> None:
            async with producer.uow() as uow:
                uow.emit(order_created())
                raise RuntimeError("the use case failed after emitting")

        with pytest.raises(RuntimeError):
            await failing_use_case()
        async with producer.uow() as uow:
            uow.emit(order_created())  # never committed: leaving the block rolls back
        async with producer.uow() as uow:
            committed = uow.emit(order_created())
            await uow.commit()

        await eventually(lambda: _count(bus, 1), what="the committed event")
        await asyncio.sleep(0.5)  # anything published earlier would have arrived before it

    assert [envelope.event_id for envelope in bus.received] == [committed.event_id]
    assert await bus.effects() == 1


async def test_same_event_delivered_twice_has_one_effect(bus: Bus) -> None:
    duplicates_before = consumed("gateway", "duplicate")
    async with ServiceRuntime(bus.consumer, handlers={CREATED: bus.record_effect}):
        envelope = Envelope.wrap(order_created(), producer="errand")
        await publish_raw(bus, envelope)
        await eventually(lambda: _count(bus, 1), what="the first delivery")
        await publish_raw(bus, envelope)  # a redelivery after the first was applied
        second = Envelope.wrap(order_created(), producer="errand")
        await publish_raw(bus, second, copies=5)  # and concurrent copies, in flight together
        await eventually(lambda: _dups(duplicates_before, 5), what="the duplicates to be absorbed")

    assert await bus.effects() == 2
    assert await bus.distinct_effects() == 2
    assert consumed("gateway", "duplicate") - duplicates_before == 5


async def test_relay_killed_between_publish_and_delete_duplicates_are_absorbed(bus: Bus) -> None:
    class DiesAfterPublishing(OutboxRelay):
        async def _before_delete(self, rows: object) -> None:
            raise ConnectionResetError("relay process died before deleting the rows")

    duplicates_before = consumed("gateway", "duplicate")
    async with ServiceRuntime(bus.consumer, handlers={CREATED: bus.record_effect}):
        dying = ServiceRuntime(bus.producer, handlers={}, relay_class=DiesAfterPublishing, run_relay=False)
        async with dying:
            async with dying.uow() as uow:
                for _ in range(10):
                    uow.emit(order_created())
                await uow.commit()
            relay = DiesAfterPublishing(dying.engine, dying.broker, bus.producer)
            with pytest.raises(ConnectionResetError):
                await relay.publish_batch()  # published and confirmed, then died
            await eventually(lambda: _count(bus, 10), what="the first publication")
            assert await bus.outbox_rows() == 10  # the rows survived the crash

        async with ServiceRuntime(bus.producer, handlers={}):  # the replacement relay
            await eventually(lambda: _outbox_empty(bus), what="the outbox to drain")
            await eventually(lambda: _dups(duplicates_before, 10), what="10 duplicates absorbed")

    assert await bus.effects() == 10
    assert await bus.distinct_effects() == 10


async def test_two_relays_on_one_outbox_publish_every_row_once(bus: Bus) -> None:
    confirmed: dict[str, list[str]] = {}

    class RecordingRelay(OutboxRelay):
        """Remembers which rows it published and had confirmed (the ones it is about to delete)."""

        async def _before_delete(self, rows: Any) -> None:
            confirmed.setdefault(str(id(self)), []).extend(str(row.body["event_id"]) for row in rows)

    async with ServiceRuntime(bus.consumer, handlers={CREATED: bus.record_effect}):
        first = ServiceRuntime(bus.producer, handlers={}, relay_class=RecordingRelay)
        second = ServiceRuntime(bus.producer, handlers={}, relay_class=RecordingRelay)
        async with first, second:

            async def produce(runtime: ServiceRuntime, commits: int) -> None:
                for _ in range(commits):
                    async with runtime.uow() as uow:
                        for _ in range(5):
                            uow.emit(order_created())
                        await uow.commit()

            await asyncio.gather(produce(first, 100), produce(second, 100))
            await eventually(lambda: _count(bus, 1000), timeout=60, what="1,000 effects")
            await eventually(lambda: _outbox_empty(bus), what="the outbox to drain")

    batches = list(confirmed.values())
    every_confirmed = [event_id for batch in batches for event_id in batch]
    # SKIP LOCKED: no row was claimed and confirmed by both relays. (A batch whose confirms time out
    # under load is rolled back and published again: that duplicate is the inbox's to absorb.)
    assert len(every_confirmed) == len(set(every_confirmed)) == 1000
    assert await bus.effects() == 1000
    assert await bus.distinct_effects() == 1000


async def test_failing_handler_goes_to_the_dlq_after_the_delivery_limit_and_others_keep_flowing(
    bus: Bus,
) -> None:
    poison_order = uuid.uuid4()
    attempts = 0

    async def fails_for_one_order(envelope: Envelope, event: EventPayload, uow: object) -> None:
        nonlocal attempts
        if envelope.payload["order_id"] == str(poison_order):
            attempts += 1
            raise ValueError("this handler cannot apply that event")
        await bus.record_effect(envelope, event, uow)  # type: ignore[arg-type]

    async with (
        ServiceRuntime(bus.consumer, handlers={CREATED: fails_for_one_order}),
        ServiceRuntime(bus.producer, handlers={}) as producer,
    ):
        async with producer.uow() as uow:
            poison = uow.emit(order_created(poison_order))
            await uow.commit()
        for _ in range(20):
            async with producer.uow() as uow:
                uow.emit(order_created())
                await uow.commit()

        await eventually(lambda: _count(bus, 20), what="the events behind the failing one")
        dead = await _wait_for_dead_letter(bus)

    assert json.loads(dead.body)["event_id"] == str(poison.event_id)
    # First delivery plus `delivery_limit` redeliveries, then RabbitMQ dead-letters it.
    assert attempts == bus.consumer.delivery_limit + 1
    assert await bus.effects() == 20
    inbox = await bus.scalar(
        bus.consumer, "SELECT count(*) FROM processed_events WHERE event_id = :id", id=poison.event_id
    )
    assert inbox == 0  # the failed attempts rolled back their inbox rows too


async def test_a_message_that_is_not_an_event_goes_to_the_dlq_at_once(bus: Bus) -> None:
    async with ServiceRuntime(bus.consumer, handlers={CREATED: bus.record_effect}):
        connection = await aio_pika.connect(bus.producer.amqp_url.get_secret_value())
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(bus.producer.events_exchange)
            await exchange.publish(aio_pika.Message(b"{not json"), routing_key=CREATED)
        dead = await _wait_for_dead_letter(bus)
    assert dead.body == b"{not json"
    assert await bus.effects() == 0


def test_retry_delay_grows_and_is_capped() -> None:
    assert retry_delay(0, 0.5, 30) == 0.5
    assert retry_delay(1, 0.5, 30) == 1.0
    assert retry_delay(3, 0.5, 30) == 4.0
    assert retry_delay(20, 0.5, 30) == 30
    assert retry_delay(5, 0, 30) == 0


# -- helpers ---------------------------------------------------------------------------------
async def _count(bus: Bus, expected: int) -> bool:
    return await bus.effects() >= expected


async def _outbox_empty(bus: Bus) -> bool:
    return await bus.outbox_rows() == 0


async def _dups(before: float, expected: int) -> bool:
    return consumed("gateway", "duplicate") - before >= expected


async def _wait_for_dead_letter(bus: Bus, timeout: float = 30) -> aio_pika.abc.AbstractIncomingMessage:
    connection = await aio_pika.connect(bus.consumer.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(bus.consumer.dead_letter_queue_name, passive=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            message = await queue.get(fail=False, no_ack=True)
            if message is not None:
                return message
            await asyncio.sleep(0.1)
    raise AssertionError("nothing reached the dead-letter queue")
