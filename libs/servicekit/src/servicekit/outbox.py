"""The outbox relay: publishes committed outbox rows to RabbitMQ, losing nothing.

- claims a batch with ``FOR UPDATE SKIP LOCKED`` so several replicas share one outbox without
  publishing a row twice while both are healthy;
- publishes each row persistent, with publisher confirms and a per-message timeout, and completes
  each row on its own: the rows the broker confirmed are deleted in the transaction that claimed
  them, a row that failed (nack, timeout, channel closed) is left for the next claim. One bad
  message never sends its whole batch back;
- a *late* confirm does not hold the batch either: once the batch's confirms stop arriving for
  ``outbox_straggler_seconds``, the confirmed rows are deleted and committed and the stragglers are
  handed to a connection of their own that keeps them claimed (a session advisory lock that every
  claim respects) until their confirms settle them. The relay meanwhile claims the next batch, as
  long as fewer than ``outbox_confirm_window`` messages are unconfirmed and fewer than
  ``outbox_straggler_connections`` connections are holding stragglers;
- a relay that dies after publishing but before the delete leaves the rows to be published again:
  consumers' inboxes absorb that duplicate. Without a crash (or a lost database connection) no
  row is published twice;
- wakes on ``LISTEN/NOTIFY`` (an insert trigger), with a slow fallback poll in case a
  notification is lost (listener reconnecting);
- retries at once, after a short pause, when the broker is there but some messages failed; backs
  off exponentially only while the broker is unreachable, and then wakes as soon as the broker
  connection is back, so a backlog starts draining within the client's reconnect interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import asyncpg
from sqlalchemy import delete, text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from servicekit.broker import Broker
from servicekit.db import asyncpg_dsn
from servicekit.logging import get_logger
from servicekit.metrics import EVENTS_PUBLISHED, OUTBOX_PUBLISH_FAILURES
from servicekit.settings import BaseServiceSettings
from servicekit.tables import OUTBOX_NOTIFY_CHANNEL, outbox_messages

log = get_logger(__name__)

# Advisory-lock key of a row held as a straggler: pg_advisory_lock(2828, id mod 2^31), 2828 being
# the relay's key space (the two-int form keeps it apart from single-bigint advisory locks).

# Claim the oldest rows nobody holds: not row-locked by another relay's batch (SKIP LOCKED) and not
# held as stragglers by another relay's connection (the advisory lock, tried only on rows this
# transaction already locked, so a straggler lock taken before its batch committed is always seen).
_CLAIM = text(
    """
    WITH claimed AS MATERIALIZED (
        SELECT id, body FROM outbox_messages
        ORDER BY id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    SELECT id, body FROM claimed
    WHERE pg_try_advisory_xact_lock(2828, (id % 2147483648)::int)
    ORDER BY id
    """
)
_HOLD = text(
    "SELECT pg_advisory_lock(2828, (id % 2147483648)::int) FROM outbox_messages WHERE id = ANY(:ids)"
)
_RELEASE_ALL = text("SELECT pg_advisory_unlock_all()")

# Exceptions that mean the broker connection is gone, not that one message was slow or refused.
_UNREACHABLE = (
    ConnectionError,
    OSError,
    aio_pika.exceptions.AMQPConnectionError,
    aio_pika.exceptions.ChannelInvalidStateError,
    RuntimeError,  # Broker.connect() not (yet) done, or the channel is closed
)

SHORT_BACKOFF_SECONDS = 0.05
SHORT_BACKOFF_MAX_SECONDS = 1.0


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


@dataclass
class BatchOutcome:
    """What the last claimed batch came to."""

    claimed: int = 0
    confirmed: int = 0
    failed: int = 0
    straggling: int = 0
    errors: list[BaseException] = field(default_factory=list)


@dataclass
class _Stragglers:
    """Rows whose confirms are late, kept claimed by a connection of their own."""

    conn: AsyncConnection
    publishes: dict[int, tuple[Row[Any], asyncio.Task[None]]]
    settler: asyncio.Task[None] | None = None


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, broker: Broker, settings: BaseServiceSettings) -> None:
        self.engine = engine
        self.broker = broker
        self.settings = settings
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._stragglers: list[_Stragglers] = []
        self.last_batch = BatchOutcome()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self.settings.service_name}")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        grace = self.settings.publish_timeout_seconds + 5
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=grace)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        settlers = [group.settler for group in self._stragglers if group.settler is not None]
        if settlers:
            # Late confirms end by their own timeout at the latest; then each group settles.
            _, still = await asyncio.wait(settlers, timeout=grace)
            for settler in still:
                settler.cancel()
            await asyncio.gather(*still, return_exceptions=True)
        await self._close_listener()

    @property
    def outstanding(self) -> int:
        """Messages published whose confirms are still awaited by a straggler connection."""
        return sum(len(group.publishes) for group in self._stragglers)

    # -- loop ------------------------------------------------------------------------------
    async def run(self) -> None:
        backoff = 0.0  # broker unreachable or database failing: exponential
        short = 0.0  # broker there, some messages failed: short and bounded
        while not self._stopping.is_set():
            await self._ensure_listener()
            self._wake.clear()
            if not self._room():
                await self._sleep(self.settings.publish_timeout_seconds, wake_on_notify=True)
                continue
            try:
                await self.publish_batch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                OUTBOX_PUBLISH_FAILURES.labels(self.settings.service_name).inc()
                backoff = min(max(backoff * 2, 0.2), self.settings.outbox_max_backoff_seconds)
                log.warning("outbox_publish_failed", error=repr(exc), retry_in=backoff)
                await self._wait_for_broker(backoff * (0.8 + 0.4 * random.random()))
                continue
            outcome = self.last_batch
            if outcome.failed:
                OUTBOX_PUBLISH_FAILURES.labels(self.settings.service_name).inc()
                if outcome.confirmed == 0 and self._broker_unreachable(outcome.errors):
                    backoff = min(max(backoff * 2, 0.2), self.settings.outbox_max_backoff_seconds)
                    log.warning("outbox_broker_unreachable", error=repr(outcome.errors[0]), retry_in=backoff)
                    await self._wait_for_broker(backoff * (0.8 + 0.4 * random.random()))
                    continue
                # The broker is there; one message (or a few) was refused or slow. The rest of the
                # batch is done: try the failed ones again soon, without stalling the others.
                backoff = 0.0
                short = min(max(short * 2, SHORT_BACKOFF_SECONDS), SHORT_BACKOFF_MAX_SECONDS)
                log.warning(
                    "outbox_messages_failed",
                    failed=outcome.failed,
                    confirmed=outcome.confirmed,
                    error=repr(outcome.errors[0]),
                    retry_in=short,
                )
                await self._sleep(short)
                continue
            backoff = short = 0.0
            if outcome.claimed > 0:
                continue  # more may be waiting (or stragglers were handed off): drain before sleeping
            await self._sleep(self.settings.outbox_fallback_poll_seconds, wake_on_notify=True)

    def _room(self) -> bool:
        """Whether another batch may go out: fewer unconfirmed messages than the confirm window."""
        return self.outstanding < self.settings.outbox_confirm_window

    async def publish_batch(self) -> int:
        """Claim up to one batch, publish it and complete each row on its own.

        Returns how many rows were confirmed and deleted now; ``last_batch`` has the whole outcome.
        """
        self.last_batch = outcome = BatchOutcome()
        limit = min(self.settings.outbox_batch_size, self.settings.outbox_confirm_window - self.outstanding)
        if limit <= 0:
            return 0
        conn = await self.engine.connect()
        handed_off = False
        publishes: dict[int, tuple[Row[Any], asyncio.Task[None]]] = {}
        try:
            transaction = await conn.begin()
            rows = (await conn.execute(_CLAIM, {"limit": limit})).all()
            outcome.claimed = len(rows)
            if not rows:
                await transaction.commit()
                return 0
            exchange = self.broker.exchange
            publishes = {
                row.id: (row, asyncio.ensure_future(self._publish(exchange, row.body))) for row in rows
            }
            late = await self._await_confirms([task for _, task in publishes.values()])
            confirmed = [row for row, task in publishes.values() if task.done() and _succeeded(task)]
            for _row, task in publishes.values():
                if task.done() and not _succeeded(task):
                    outcome.failed += 1
                    outcome.errors.append(_exception(task))
            if confirmed:
                await self._before_delete(confirmed)
                await conn.execute(
                    delete(outbox_messages).where(outbox_messages.c.id.in_([row.id for row in confirmed]))
                )
            if late:
                # Keep the stragglers claimed past this commit: a session lock on this connection,
                # which then stays out of the pool until their confirms are in.
                late_ids = [row_id for row_id, (_row, task) in publishes.items() if task in late]
                await conn.execute(_HOLD, {"ids": late_ids})
                group = _Stragglers(conn, {row_id: publishes[row_id] for row_id in late_ids})
                await transaction.commit()
                self._stragglers.append(group)
                handed_off = True
                group.settler = asyncio.create_task(self._settle(group))
                outcome.straggling = len(late_ids)
                log.info("outbox_stragglers_handed_off", count=len(late_ids), confirmed=len(confirmed))
            else:
                await transaction.commit()
            outcome.confirmed = len(confirmed)
        except BaseException:
            for _row, task in publishes.values():
                if not handed_off and not task.done():
                    task.cancel()
            if not handed_off:
                # A connection that may hold session locks must not go back to the pool.
                with contextlib.suppress(Exception):
                    await conn.invalidate()
            raise
        finally:
            if not handed_off:
                await conn.close()
        if confirmed:
            self._count_published(confirmed)
        return len(confirmed)

    def _count_published(self, rows: Sequence[Row[Any]]) -> None:
        by_type: dict[str, int] = {}
        for row in rows:
            event_type = str(row.body.get("event_type", ""))
            by_type[event_type] = by_type.get(event_type, 0) + 1
        for event_type, count in by_type.items():
            EVENTS_PUBLISHED.labels(self.settings.service_name, event_type).inc(count)

    async def _publish(self, exchange: aio_pika.abc.AbstractExchange, body: dict[str, Any]) -> None:
        timeout = self.settings.publish_timeout_seconds
        await asyncio.wait_for(
            exchange.publish(
                envelope_message(body), routing_key=body["event_type"], mandatory=False, timeout=timeout
            ),
            timeout=timeout,
        )

    async def _await_confirms(self, tasks: Sequence[asyncio.Task[None]]) -> set[asyncio.Task[None]]:
        """Wait while confirms keep coming; return the publishes still unsettled once they stop
        for ``outbox_straggler_seconds`` (empty when all settled, or when stragglers cannot be
        handed off and are waited for here up to their own timeout)."""
        pending: set[asyncio.Task[None]] = set(tasks)
        can_hand_off = len(self._stragglers) < self.settings.outbox_straggler_connections
        gap = self.settings.outbox_straggler_seconds if can_hand_off else None
        while pending:
            done, pending = await asyncio.wait(pending, timeout=gap, return_when=asyncio.FIRST_COMPLETED)
            if not done:
                return pending
        return set()

    async def _settle(self, group: _Stragglers) -> None:
        """Wait for the stragglers' confirms, delete the confirmed ones, release the rest."""
        try:
            await asyncio.wait([task for _, task in group.publishes.values()])
            confirmed = [row for row, task in group.publishes.values() if _succeeded(task)]
            failed = len(group.publishes) - len(confirmed)
            async with group.conn.begin():
                if confirmed:
                    await self._before_delete(confirmed)
                    await group.conn.execute(
                        delete(outbox_messages).where(outbox_messages.c.id.in_([row.id for row in confirmed]))
                    )
            await group.conn.execute(_RELEASE_ALL)
            await group.conn.commit()
            if confirmed:
                self._count_published(confirmed)
            if failed:
                OUTBOX_PUBLISH_FAILURES.labels(self.settings.service_name).inc()
            log.info("outbox_stragglers_settled", confirmed=len(confirmed), failed=failed)
        except BaseException as exc:
            # The connection dies with its locks: the rows are claimable again (a confirmed one may
            # then be published twice, which the consumers' inboxes absorb).
            if not isinstance(exc, asyncio.CancelledError):
                log.warning("outbox_stragglers_failed", error=repr(exc))
            for _, task in group.publishes.values():
                task.cancel()
            with contextlib.suppress(Exception):
                await group.conn.invalidate()
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            with contextlib.suppress(Exception):
                await group.conn.close()
            if group in self._stragglers:
                self._stragglers.remove(group)
            self._wake.set()

    async def _before_delete(self, rows: Any) -> None:
        """Hook between the broker's confirms and the delete; the crash-recovery tests kill the
        relay here. Does nothing in production."""

    # -- broker state ----------------------------------------------------------------------
    def _broker_unreachable(self, errors: Sequence[BaseException]) -> bool:
        if not self.broker.is_connected:
            return True
        return bool(errors) and all(
            isinstance(error, _UNREACHABLE) and not isinstance(error, TimeoutError) for error in errors
        )

    async def _wait_for_broker(self, seconds: float) -> None:
        """Sleep ``seconds``, but wake as soon as the broker connection is (back) up."""
        connection = getattr(self.broker, "_connection", None)
        connected = getattr(connection, "connected", None)
        if not isinstance(connected, asyncio.Event) or connected.is_set():
            await self._sleep(seconds)
            return
        reconnected = asyncio.ensure_future(connected.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait([reconnected, stopping], timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            reconnected.cancel()
            stopping.cancel()

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


def _succeeded(task: asyncio.Task[None]) -> bool:
    return not task.cancelled() and task.exception() is None


def _exception(task: asyncio.Task[None]) -> BaseException:
    if task.cancelled():
        return asyncio.CancelledError()
    return task.exception() or RuntimeError("no exception")
