"""Retention of the inbox (``processed_events``) and of ``idempotency_keys``: one periodic job
per process, started with the service (``ServiceRuntime``), that deletes rows past their horizon.

Horizons (settings, see the service READMEs):

- inbox rows: ``inbox_retention_seconds``, 7 days by default. A row must outlive every copy of
  its event the broker can still deliver. The broker's own redeliveries of one message end after
  ``delivery_limit`` + 1 attempts spaced by at most ``retry_max_delay_seconds`` (5 + 1 attempts,
  30 s apart: 3 minutes; then the message is in the DLQ). A second copy can also come from a
  producer's relay that published and died before deleting its outbox row: that copy is sent
  when the relay runs again and may wait behind a backlog in the queue. 7 days covers both with a
  wide margin (a producer or consumer down for a week is an incident handled by hand); the
  setting refuses a horizon shorter than the broker's redelivery window times 10.
- idempotency keys: ``idempotency_key_retention_seconds``, 48 hours by default: a client's retry
  of one request with the same ``Idempotency-Key`` comes within seconds to hours (docs/contract.md asks
  clients to retry with the same key after a timeout or a crash); after 48 h the same key is a
  new request.

Several replicas run the job: each batch takes a transaction-level advisory lock and a replica
that does not get it skips the round (another one is deleting); the DELETE itself is safe to run
twice in any case (it only removes rows past the horizon).
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.logging import get_logger
from servicekit.settings import BaseServiceSettings

log = get_logger(__name__)

# One advisory lock key per database for this job (a stable 32-bit number from its name).
RETENTION_LOCK_KEY = zlib.crc32(b"weilinli.retention")

_DELETE_INBOX = text(
    "DELETE FROM processed_events WHERE event_id IN ("
    " SELECT event_id FROM processed_events WHERE processed_at < :cutoff LIMIT :batch)"
)
_DELETE_KEYS = text(
    "DELETE FROM idempotency_keys WHERE (scope, user_id, key) IN ("
    " SELECT scope, user_id, key FROM idempotency_keys WHERE created_at < :cutoff LIMIT :batch)"
)


@dataclass(frozen=True)
class Removed:
    inbox: int = 0
    idempotency_keys: int = 0


class RetentionJob:
    def __init__(self, engine: AsyncEngine, settings: BaseServiceSettings) -> None:
        self.engine = engine
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        await asyncio.sleep(self.settings.retention_first_run_seconds)
        while True:
            try:
                removed = await self.run_once()
                if removed.inbox or removed.idempotency_keys:
                    log.info(
                        "retention_removed", inbox=removed.inbox, idempotency_keys=removed.idempotency_keys
                    )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away; the next round tries again
                log.warning("retention_failed", error=repr(exc)[:500])
            await asyncio.sleep(self.settings.retention_interval_seconds)

    async def run_once(self, *, now: datetime | None = None) -> Removed:
        """Delete what is past its horizon, in batches; returns how many rows went."""
        now = now or datetime.now(UTC)
        inbox_cutoff = now - timedelta(seconds=self.settings.inbox_retention_seconds)
        keys_cutoff = now - timedelta(seconds=self.settings.idempotency_key_retention_seconds)
        inbox = await self._delete(_DELETE_INBOX, inbox_cutoff)
        keys = await self._delete(_DELETE_KEYS, keys_cutoff)
        return Removed(inbox=inbox, idempotency_keys=keys)

    async def _delete(self, statement: TextClause, cutoff: datetime) -> int:
        total = 0
        batch = self.settings.retention_batch_size
        while True:
            async with self.engine.begin() as conn:
                locked = await conn.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": RETENTION_LOCK_KEY}
                )
                if not locked:
                    return total  # another replica is deleting now
                result = await conn.execute(statement, {"cutoff": cutoff, "batch": batch})
            deleted = int(getattr(result, "rowcount", 0) or 0)
            total += deleted
            if deleted < batch:
                return total
