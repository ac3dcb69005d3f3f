"""Async SQLAlchemy engine, sessions, the unit of work, and per-service database creation."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from types import TracebackType
from typing import Self

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from contracts import Envelope, EventPayload
from servicekit.clock import system_clock
from servicekit.logging import correlation_id_var, get_logger
from servicekit.tables import outbox_messages, processed_events

log = get_logger(__name__)

_SAFE_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def create_engine(
    database_url: str, *, pool_size: int = 10, max_overflow: int = 10, pool_timeout: float = 2.0
) -> AsyncEngine:
    # No pre-ping: its extra round trip on every checkout doubled the event path's p99 (bench/
    # README.md). A connection PostgreSQL dropped fails its next use instead; SQLAlchemy then
    # invalidates the whole pool, the HTTP layer answers that request 503 (errors.py), consumers
    # and the relay retry. Recycling keeps connections from outliving server-side timeouts.
    # A short pool timeout: when every connection is busy a request answers 503 service_busy
    # (errors.py) within pool_timeout instead of hanging for SQLAlchemy's default 30 s.
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=1800,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def asyncpg_dsn(database_url: str | URL) -> str:
    """The same database as a plain libpq DSN, for asyncpg connections SQLAlchemy does not manage."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def _maintenance_connection(database_url: str) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """A connection to the server's `postgres` database, and the (checked) name of ours."""
    url = make_url(database_url)
    name = url.database or ""
    if not _SAFE_DB_NAME.match(name):
        raise ValueError(f"refusing to manage a database with the unsafe name {name!r}")
    admin = await asyncpg.connect(asyncpg_dsn(url.set(database="postgres")))
    try:
        yield admin, name
    finally:
        await admin.close()


async def ensure_database(database_url: str) -> bool:
    """Create the service's database if it does not exist yet. Returns True when it was created."""
    async with _maintenance_connection(database_url) as (admin, name):
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            # Another replica created it between our check and our create (two CREATE DATABASE
            # at the same moment: the loser sees the catalog's unique index, not 42P04).
            return False
        return True


async def drop_database(database_url: str) -> None:
    async with _maintenance_connection(database_url) as (admin, name):
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class UnitOfWork:
    """One business transaction, and the only place that commits.

    Events emitted during the use case are written to the outbox in the same transaction as the
    state change, so an event is published if and only if the change was committed.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        producer: str,
        correlation_id: str | None = None,
        actor_id: uuid.UUID | None = None,
    ) -> None:
        self._sessions = sessions
        self.producer = producer
        self.correlation_id = correlation_id
        self.actor_id = actor_id
        self._pending: list[Envelope] = []
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._session: AsyncSession | None = None
        self._committed = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside 'async with'")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self._pending = []
        self._after_commit = []
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if not self._committed:
                await session.rollback()
        finally:
            await session.close()
            self._session = None
            self._pending = []
            self._after_commit = []

    def emit(self, payload: EventPayload, *, actor_id: uuid.UUID | None = None) -> Envelope:
        """Record an event to publish when (and only if) this unit of work commits."""
        envelope = Envelope.wrap(
            payload,
            producer=self.producer,
            correlation_id=self.correlation_id or correlation_id_var.get(),
            actor_id=actor_id if actor_id is not None else self.actor_id,
            occurred_at=system_clock(),
        )
        self._pending.append(envelope)
        return envelope

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` once this unit of work has committed (never after a rollback): for
        mirrors of committed facts outside the database, e.g. a cache in Redis. A failing callback
        is logged, not raised: the transaction it follows is already durable."""
        self._after_commit.append(callback)

    @property
    def pending_events(self) -> Sequence[Envelope]:
        return tuple(self._pending)

    async def mark_processed(self, envelope: Envelope) -> bool:
        """Inbox: record that this service applies ``envelope`` in this transaction.

        Returns False when it was already applied (a redelivery): the caller must then skip the
        effect. Two concurrent deliveries of one event serialise on the primary key; the second
        sees the first's row once it commits and is told False.
        """
        result = await self.session.execute(
            pg_insert(processed_events)
            .values(event_id=envelope.event_id, event_type=envelope.event_type)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(processed_events.c.event_id)
        )
        return result.first() is not None

    async def commit(self) -> None:
        session = self.session
        if self._pending:
            await session.execute(
                insert(outbox_messages),
                [
                    {
                        "event_id": envelope.event_id,
                        "event_type": envelope.event_type,
                        "body": envelope.model_dump(mode="json"),
                    }
                    for envelope in self._pending
                ],
            )
        await session.commit()
        self._pending = []
        self._committed = True
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                await callback()
            except Exception:
                log.exception("after_commit_failed")

    async def rollback(self) -> None:
        await self.session.rollback()
        self._pending = []
        self._after_commit = []


class UnitOfWorkFactory:
    """Makes units of work for one service; the API layer and the consumers use the same one."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, producer: str) -> None:
        self.sessions = sessions
        self.producer = producer

    def __call__(self, *, correlation_id: str | None = None, actor_id: uuid.UUID | None = None) -> UnitOfWork:
        return UnitOfWork(
            self.sessions, producer=self.producer, correlation_id=correlation_id, actor_id=actor_id
        )


# Key space of job rounds held with exclusive_round: pg_try_advisory_lock(2829, hashtext(name)).
_ROUND_LOCK_SPACE = 2829


@contextlib.asynccontextmanager
async def exclusive_round(uows: UnitOfWorkFactory, name: str) -> AsyncIterator[bool]:
    """Yields True when this process may run the job round ``name`` now, False when another
    replica is running it (the caller skips this round). For jobs that are not made safe by row
    locks (a read-decide-insert over many rows); a session advisory lock on one pooled connection,
    held for the round, and let go with the connection if the process dies."""
    engine: AsyncEngine = uows.sessions.kw["bind"]
    lock = {"space": _ROUND_LOCK_SPACE, "name": name}
    # One connection for the whole round: the lock belongs to it (a session would hand its
    # connection back to the pool at commit, and the unlock would go to another).
    async with engine.connect() as conn:
        acquired = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:space, hashtext(:name))"), lock))
        await conn.commit()  # the session lock outlives the transaction; no snapshot is held
        try:
            yield acquired
        finally:
            if acquired:
                await conn.execute(text("SELECT pg_advisory_unlock(:space, hashtext(:name))"), lock)
                await conn.commit()
