"""Rights that follow changes at once (README "Rights follow changes at once").

A grant, a revocation, a household approval or an account deletion stamps the user's row
(`users.rights_changed_at`, `users.deleted_at`) in the transaction that makes the change and, once
it has committed, mirrors the stamp to Redis under `rights:{user_id}` for as long as an access
token issued before it can live. The edge reads that mirror (through a one-second local cache) for
every bearer token and, when the token predates the change, forwards a re-minted token with the
current claims instead.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis
from fastapi import FastAPI
from redis.exceptions import RedisError
from sqlalchemy import select, update

from gateway.adapters.tables import users
from gateway.config import Settings
from servicekit.db import UnitOfWork
from servicekit.health import HealthCheck
from servicekit.logging import get_logger
from servicekit.runtime import ServiceRuntime

log = get_logger(__name__)

DELETED = "deleted"
# Tokens are verified with this much clock leeway; a stamp outlives the longest token by it.
_LEEWAY_SECONDS = 60


class RightsBoard:
    """The Redis mirror of rights stamps: `rights:{user_id}` -> change time (epoch) or "deleted"."""

    def __init__(self, redis: aioredis.Redis, *, prefix: str, ttl_seconds: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl_seconds + _LEEWAY_SECONDS
        # This replica's copy of stamps it read or wrote: user -> (stamp, read at, monotonic).
        # Written by publish() too, so the replica that made a change applies it at once; other
        # replicas within the edge's cache period.
        self.local: dict[uuid.UUID, tuple[str | None, float]] = {}

    def key(self, user_id: uuid.UUID) -> str:
        return f"{self._prefix}{user_id}"

    async def publish(self, user_id: uuid.UUID, *, deleted: bool = False) -> None:
        # The time after the commit: every token issued before it (iat <= stamp) is stale.
        value = DELETED if deleted else repr(time.time())
        self.local[user_id] = (value, time.monotonic())
        await self._redis.set(self.key(user_id), value, ex=self._ttl)

    async def read(self, user_id: uuid.UUID) -> str | None:
        raw = await self._redis.get(self.key(user_id))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def remirror(self, uow: UnitOfWork) -> int:
        """At start-up: stamps of the last token lifetime again (Redis may have lost them), dated
        now, which at worst re-mints a fresh token once."""
        since = datetime.now(UTC) - timedelta(seconds=self._ttl)
        rows = (
            await uow.session.execute(
                select(users.c.id, users.c.deleted_at).where(
                    (users.c.rights_changed_at > since) | (users.c.deleted_at > since)
                )
            )
        ).all()
        for row in rows:
            await self.publish(row.id, deleted=row.deleted_at is not None)
        return len(rows)


async def stamp(uow: UnitOfWork, board: RightsBoard, user_id: uuid.UUID, *, deleted: bool = False) -> None:
    """Record in this transaction that the user's rights changed; mirror it once committed."""
    values: dict[str, object] = {"rights_changed_at": datetime.now(UTC)}
    if deleted:
        values["deleted_at"] = datetime.now(UTC)
    await uow.session.execute(update(users).where(users.c.id == user_id).values(**values))

    async def mirror() -> None:
        try:
            await board.publish(user_id, deleted=deleted)
        except RedisError:
            # The row keeps the stamp; the next start-up mirrors it again.
            log.warning("rights_mirror_failed", user_id=str(user_id))

    uow.after_commit(mirror)


@contextlib.asynccontextmanager
async def rights_board(app: FastAPI, runtime: ServiceRuntime) -> AsyncIterator[Mapping[str, HealthCheck]]:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    redis: aioredis.Redis = app.state.rate_limiter.redis
    board = RightsBoard(
        redis, prefix=settings.redis_prefix + "rights:", ttl_seconds=settings.access_token_ttl_seconds
    )
    app.state.rights_board = board
    try:
        async with runtime.uow() as uow:
            await board.remirror(uow)
    except RedisError:
        log.warning("rights_remirror_failed")
    yield {}
