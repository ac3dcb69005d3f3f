"""The outbox relay: publishes committed outbox rows to RabbitMQ, losing nothing.

- claims a batch with ``FOR UPDATE SKIP LOCKED`` so several replicas share one outbox without
  publishing a row twice while both are healthy;
- publishes each row persistent, with publisher confirms and a timeout, then deletes the rows
  in the same transaction that claimed them. A relay that dies after publishing but before the
  delete leaves the rows to be published again: consumers' inboxes absorb that duplicate;
- wakes on ``LISTEN/NOTIFY`` (an insert trigger), with a slow fallback poll in case a
  notification is lost (listener reconnecting);
- backs off exponentially while the broker is unreachable and catches up when it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from typing import Any

import aio_pika
import asyncpg
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.broker import Broker
from servicekit.db import asyncpg_dsn
from servicekit.logging import get_logger
from servicekit.metrics import EVENTS_PUBLISHED, OUTBOX_PUBLISH_FAILURES
from servicekit.settings import BaseServiceSettings
from servicekit.tables import OUTBOX_NOTIFY_CHANNEL, outbox_messages

log = get_logger(__name__)


def envelope_message(body: dict[str, Any]) -> aio_pika.Message:
    """An AMQP message for an envelope: persistent, typed, with ids the broker tools can show."""
    return aio_pika.Message(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=str(body["event_id"]),
        type=str(body["event_type"]),
        correlation_id=body.get("correlation_id"),
        app_id=str(body.get("producer", "")),
    )


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, broker: Broker, settings: BaseServiceSettings) -> None:
        self.engine = engine
        self.broker = broker
        self.settings = settings
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self.settings.service_name}")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=self.settings.publish_timeout_seconds + 5)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        await self._close_listener()

    # -- loop ------------------------------------------------------------------------------
    async def run(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            await self._ensure_listener()
            self._wake.clear()
            try:
                published = await self.publish_batch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                OUTBOX_PUBLISH_FAILURES.labels(self.settings.service_name).inc()
                backoff = min(max(backoff * 2, 0.2), self.settings.outbox_max_backoff_seconds)
                log.warning("outbox_publish_failed", error=repr(exc), retry_in=backoff)
                await self._sleep(backoff * (0.8 + 0.4 * random.random()))
                continue
            backoff = 0.0
            if published >= self.settings.outbox_batch_size:
                continue  # more may be waiting: drain before sleeping
            await self._sleep(self.settings.outbox_fallback_poll_seconds, wake_on_notify=True)

    async def publish_batch(self) -> int:
        """Publish and delete up to one batch of rows. Returns how many were published."""
        async with self.engine.connect() as conn, conn.begin():
            rows = (
                await conn.execute(
                    select(outbox_messages.c.id, outbox_messages.c.body)
                    .order_by(outbox_messages.c.id)
                    .limit(self.settings.outbox_batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            exchange = self.broker.exchange
            timeout = self.settings.publish_timeout_seconds
            # Publishes on one channel go out in order; waiting for their confirms together keeps
            # one round trip per batch instead of one per event.
            results = await asyncio.gather(
                *(
                    exchange.publish(
                        envelope_message(row.body),
                        routing_key=row.body["event_type"],
                        mandatory=False,
                        timeout=timeout,
                    )
                    for row in rows
                ),
                return_exceptions=True,
            )
            failures = [result for result in results if isinstance(result, BaseException)]
            if failures:
                raise failures[0]  # roll back: every row of the batch stays for the next attempt
            await self._before_delete(rows)
            await conn.execute(
                delete(outbox_messages).where(outbox_messages.c.id.in_([row.id for row in rows]))
            )
        EVENTS_PUBLISHED.labels(self.settings.service_name).inc(len(rows))
        return len(rows)

    async def _before_delete(self, rows: Any) -> None:
        """Hook between the broker's confirms and the delete; the crash-recovery tests kill the
        relay here. Does nothing in production."""

    # -- waking ----------------------------------------------------------------------------
    async def _sleep(self, seconds: float, *, wake_on_notify: bool = False) -> None:
        waiters = [asyncio.ensure_future(self._stopping.wait())]
        if wake_on_notify:
            waiters.append(asyncio.ensure_future(self._wake.wait()))
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(asyncpg_dsn(self.settings.database_url.get_secret_value()))
            await self._listener.add_listener(OUTBOX_NOTIFY_CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError) as exc:
            # Without LISTEN the fallback poll still publishes everything, only later.
            log.warning("outbox_listen_failed", error=repr(exc))
            self._listener = None

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
