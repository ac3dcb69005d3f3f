"""RabbitMQ connection and topology (docs/architecture.md §3).

- one durable topic exchange (``weilinli.events``); routing key = the event's ``event_type``;
- per consuming service one durable quorum queue ``<service>.events`` with an explicit
  ``x-delivery-limit`` (RabbitMQ 3.10 has no default), dead-lettering at-least-once to the direct
  exchange ``weilinli.dlx`` and from there to ``<service>.events.dlq``.

Retries are delayed by the consumer (see ``consumer.py``) and bounded by the delivery limit: a
poison message ends in the DLQ and never blocks the queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractExchange,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)

from servicekit.logging import get_logger
from servicekit.settings import BaseServiceSettings

log = get_logger(__name__)


def _expiry(settings: BaseServiceSettings) -> dict[str, Any]:
    if settings.queue_expires_seconds is None:
        return {}
    return {"x-expires": int(settings.queue_expires_seconds * 1000)}


def queue_arguments(settings: BaseServiceSettings) -> dict[str, Any]:
    return {
        **_expiry(settings),
        "x-queue-type": "quorum",
        "x-delivery-limit": settings.delivery_limit,
        "x-dead-letter-exchange": settings.dead_letter_exchange,
        "x-dead-letter-routing-key": settings.queue_name,
        # At-least-once dead-lettering (quorum queues, 3.10+) so a message is never dropped on
        # its way to the DLQ; it requires reject-publish overflow.
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


class Broker:
    """One robust connection per process, a publishing channel with confirms, and topology."""

    def __init__(self, settings: BaseServiceSettings) -> None:
        self.settings = settings
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None

    async def connect(self, *, attempts: int = 5, delay: float = 1.0) -> None:
        last_error: Exception | None = None
        for attempt in range(1, attempts + 1):
            try:
                self._connection = await aio_pika.connect_robust(
                    self.settings.amqp_url.get_secret_value(),
                    client_properties={"connection_name": f"{self.settings.service_name}"},
                )
                break
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                last_error = exc
                log.warning("broker_connect_failed", attempt=attempt, error=str(exc))
                await asyncio.sleep(delay * attempt)
        else:
            raise ConnectionError(f"RabbitMQ unreachable: {last_error}") from last_error
        self._publish_channel = await self.connection.channel(publisher_confirms=True)
        self._exchange = await declare_exchanges(self._publish_channel, self.settings)

    @property
    def connection(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise RuntimeError("Broker.connect() was not awaited")
        return self._connection

    @property
    def exchange(self) -> AbstractExchange:
        if self._exchange is None:
            raise RuntimeError("Broker.connect() was not awaited")
        return self._exchange

    @property
    def is_connected(self) -> bool:
        return (
            self._connection is not None
            and not self._connection.is_closed
            and bool(getattr(self._connection, "connected", asyncio.Event()).is_set())
        )

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


async def declare_exchanges(
    channel: aio_pika.abc.AbstractChannel, settings: BaseServiceSettings
) -> AbstractExchange:
    events = await channel.declare_exchange(
        settings.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    await channel.declare_exchange(settings.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
    return events


async def declare_service_queue(
    channel: aio_pika.abc.AbstractChannel, settings: BaseServiceSettings, routing_keys: Iterable[str]
) -> AbstractQueue:
    """The service's queue bound to the event types it handles, with its dead-letter queue."""
    events = await declare_exchanges(channel, settings)
    dead_letters = await channel.get_exchange(settings.dead_letter_exchange)
    dlq = await channel.declare_queue(
        settings.dead_letter_queue_name,
        durable=True,
        arguments={"x-queue-type": "quorum", **_expiry(settings)},
    )
    await dlq.bind(dead_letters, routing_key=settings.queue_name)
    queue = await channel.declare_queue(
        settings.queue_name, durable=True, arguments=queue_arguments(settings)
    )
    for key in sorted(set(routing_keys)):
        await queue.bind(events, routing_key=key)
    return queue
