"""The consumer runner: incoming events -> handler in a unit of work -> ack after commit.

- manual ack, only after the handler's effect and its inbox row have committed;
- a redelivered event finds its inbox row and is acked without running the handler again;
- a failing handler is retried after a growing delay (held by this consumer, so the messages
  behind it keep flowing through the other prefetch slots), by nack-with-requeue; once the quorum
  queue's delivery limit is exceeded RabbitMQ dead-letters it to the DLQ. An ack is never sent for
  a failed handler;
- a message that cannot be an event at all (bad JSON, unknown type) goes to the DLQ at once, and
  so does an event whose payload does not fit the contract model registered for its type: it is
  validated before anything is done, never recorded in the inbox, and the handler receives the
  validated model (never the raw dict).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from pydantic import ValidationError

from contracts import Envelope, EventPayload, UnknownEventType
from servicekit.broker import Broker, declare_service_queue
from servicekit.db import UnitOfWork, UnitOfWorkFactory
from servicekit.logging import correlation_id_var, get_logger
from servicekit.metrics import CONSUMER_IN_FLIGHT, EVENT_HANDLER_SECONDS, EVENT_LAG_SECONDS, EVENTS_CONSUMED
from servicekit.settings import BaseServiceSettings

log = get_logger(__name__)

#: ``handler(envelope, event, uow)``: ``event`` is the payload validated against its contract model.
EventHandler = Callable[[Envelope, EventPayload, UnitOfWork], Awaitable[None]]


def retry_delay(delivery_count: int, base: float, cap: float) -> float:
    """Exponential delay before the next attempt: base, 2*base, 4*base ... at most cap."""
    if base <= 0:
        return 0.0
    return float(min(cap, base * (2 ** max(0, delivery_count))))


def _delivery_count(message: AbstractIncomingMessage) -> int:
    # Quorum queues count redeliveries in this header (absent on the first delivery).
    value: Any = (message.headers or {}).get("x-delivery-count", 0)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class EventConsumer:
    def __init__(
        self,
        broker: Broker,
        uow_factory: UnitOfWorkFactory,
        settings: BaseServiceSettings,
        handlers: Mapping[str, EventHandler],
    ) -> None:
        self.broker = broker
        self.uow_factory = uow_factory
        self.settings = settings
        self.handlers = dict(handlers)
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()

    @property
    def routing_keys(self) -> Iterable[str]:
        return self.handlers.keys()

    async def start(self) -> None:
        channel = await self.broker.connection.channel()
        await channel.set_qos(prefetch_count=self.settings.consumer_prefetch)
        self._channel = channel
        self._queue = await declare_service_queue(channel, self.settings, self.routing_keys)
        self._consumer_tag = await self._queue.consume(self._on_message)
        log.info("consumer_started", queue=self.settings.queue_name, routing_keys=sorted(self.routing_keys))

    async def stop(self, *, grace_seconds: float = 10.0) -> None:
        """Stop taking messages, let the ones being handled finish, then close the channel.
        Anything not acked by then is requeued by RabbitMQ and handled again later."""
        if self._queue is not None and self._consumer_tag is not None:
            with contextlib.suppress(Exception):
                await self._queue.cancel(self._consumer_tag)
        if self._in_flight:
            _done, pending = await asyncio.wait(set(self._in_flight), timeout=grace_seconds)
            for task in pending:
                task.cancel()
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await self._channel.close()
        self._channel = self._queue = None
        self._consumer_tag = None

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        service = self.settings.service_name
        CONSUMER_IN_FLIGHT.labels(service).inc()
        try:
            await self._handle(message)
        finally:
            CONSUMER_IN_FLIGHT.labels(service).dec()
            if task is not None:
                self._in_flight.discard(task)

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        service = self.settings.service_name
        try:
            envelope = Envelope.from_json(message.body)
            handler = self.handlers[envelope.event_type]
            event = envelope.parse_payload()
        except (ValidationError, ValueError, KeyError, UnknownEventType) as exc:
            log.error(
                "event_rejected_poison",
                routing_key=message.routing_key,
                message_id=message.message_id,
                error=repr(exc)[:500],
            )
            EVENTS_CONSUMED.labels(service, message.routing_key or "", "poison").inc()
            await message.reject(requeue=False)
            return

        token = correlation_id_var.set(envelope.correlation_id)
        lag = (datetime.now(UTC) - envelope.occurred_at).total_seconds()
        EVENT_LAG_SECONDS.labels(service, envelope.event_type).observe(max(0.0, lag))
        started = time.perf_counter()
        try:
            applied = await self.apply(envelope, event, handler)
        except asyncio.CancelledError:
            raise  # shutting down: the channel closes and RabbitMQ requeues the message
        except Exception as exc:
            attempts = _delivery_count(message)
            delay = retry_delay(
                attempts, self.settings.retry_base_delay_seconds, self.settings.retry_max_delay_seconds
            )
            log.warning(
                "event_handler_failed",
                event_id=str(envelope.event_id),
                event_type=envelope.event_type,
                delivery_count=attempts,
                delivery_limit=self.settings.delivery_limit,
                retry_in=delay,
                error=repr(exc)[:500],
                exc_info=exc,
            )
            EVENTS_CONSUMED.labels(service, envelope.event_type, "failed").inc()
            await asyncio.sleep(delay)
            await message.nack(requeue=True)
            return
        finally:
            correlation_id_var.reset(token)
            EVENT_HANDLER_SECONDS.labels(service, envelope.event_type).observe(time.perf_counter() - started)
        EVENTS_CONSUMED.labels(service, envelope.event_type, "applied" if applied else "duplicate").inc()
        await message.ack()

    async def apply(self, envelope: Envelope, event: EventPayload, handler: EventHandler) -> bool:
        """Run the handler and record the event in the inbox in one transaction.
        Returns False when the event had been applied before (nothing is done again)."""
        async with self.uow_factory(
            correlation_id=envelope.correlation_id, actor_id=envelope.actor_id
        ) as uow:
            if not await uow.mark_processed(envelope):
                return False
            await handler(envelope, event, uow)
            await uow.commit()
        return True
