"""Messaging figures for Prometheus, sampled in the background: the outbox's backlog and the age of
its oldest row, and the messages waiting in the service's queue and in its dead-letter queue.

A scrape cannot wait on PostgreSQL or RabbitMQ (prometheus_client collects synchronously), so a
task samples every ``metrics_interval_seconds`` (one small query, two passive queue declarations)
and sets gauges. Each replica samples the same shared figures: rules and dashboards take
``max by (service)``. A failed sample keeps the last values and is retried next round.
"""

from __future__ import annotations

import asyncio
import contextlib

from aio_pika.abc import AbstractChannel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.broker import Broker
from servicekit.logging import get_logger
from servicekit.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_SECONDS, QUEUE_MESSAGES
from servicekit.settings import BaseServiceSettings

log = get_logger(__name__)

_OUTBOX = text(
    "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)"
    " FROM outbox_messages"
)


class MessagingSampler:
    def __init__(
        self, engine: AsyncEngine, broker: Broker, settings: BaseServiceSettings, *, has_queue: bool
    ) -> None:
        self.engine = engine
        self.broker = broker
        self.settings = settings
        self.has_queue = has_queue
        self._channel: AbstractChannel | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self.settings.metrics_interval_seconds > 0:
            self._task = asyncio.create_task(self._run(), name=f"metrics-{self.settings.service_name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await self._channel.close()
            self._channel = None

    async def _run(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(self.settings.metrics_interval_seconds)

    async def sample(self) -> None:
        service = self.settings.service_name
        try:
            async with self.engine.connect() as conn:
                backlog, oldest = (await conn.execute(_OUTBOX)).one()
            OUTBOX_BACKLOG.labels(service).set(int(backlog))
            OUTBOX_OLDEST_SECONDS.labels(service).set(float(oldest))
        except Exception as exc:  # the database is away: keep the last figures
            log.warning("metrics_outbox_sample_failed", error=type(exc).__name__)
        if not self.has_queue:
            return
        for label, name in (
            ("main", self.settings.queue_name),
            ("dlq", self.settings.dead_letter_queue_name),
        ):
            try:
                QUEUE_MESSAGES.labels(service, label).set(await self._ready(name))
            except Exception as exc:
                log.warning("metrics_queue_sample_failed", queue=label, error=type(exc).__name__)
                self._channel = None

    async def _ready(self, queue: str) -> int:
        if self._channel is None or self._channel.is_closed:
            self._channel = await self.broker.connection.channel()
        # Straight to the protocol: aio-pika's robust channel answers a passive declaration of a
        # queue it knows from its cache, with the count of that first time.
        underlay = await self._channel.get_underlay_channel()
        declared = await underlay.queue_declare(queue, passive=True)
        return int(declared.message_count or 0)
