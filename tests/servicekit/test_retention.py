"""Retention of the inbox and of Idempotency-Key rows (issue 9, item 14) on the real PostgreSQL:
rows past their horizon go, recent ones stay, two replicas running the job at once are safe."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import errand.main
from errand.config import Settings as ErrandSettings
from servicekit.db import create_engine
from servicekit.migrations import migrate
from servicekit.retention import RetentionJob
from servicekit.testing import isolated_database, isolated_settings

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def engine(namespace: str) -> AsyncIterator[tuple[ErrandSettings, AsyncEngine]]:
    settings = isolated_settings(ErrandSettings, namespace=namespace, retention_batch_size=7)
    async with isolated_database(settings):
        await migrate(settings, errand.main.MIGRATIONS)
        db = create_engine(settings.database_url.get_secret_value(), pool_size=4)
        try:
            yield settings, db
        finally:
            await db.dispose()


async def insert_inbox(db: AsyncEngine, age: timedelta, count: int) -> None:
    async with db.begin() as conn:
        for _ in range(count):
            await conn.execute(
                text(
                    "INSERT INTO processed_events (event_id, event_type, processed_at)"
                    " VALUES (:id, 'x.y.z.v1', :at)"
                ),
                {"id": uuid.uuid4(), "at": NOW - age},
            )


async def insert_keys(db: AsyncEngine, age: timedelta, count: int) -> None:
    async with db.begin() as conn:
        for _ in range(count):
            await conn.execute(
                text(
                    "INSERT INTO idempotency_keys (scope, user_id, key, request_fingerprint, created_at)"
                    " VALUES ('orders', :user, :key, 'f', :at)"
                ),
                {"user": uuid.uuid4(), "key": uuid.uuid4().hex, "at": NOW - age},
            )


async def ages(db: AsyncEngine, table: str, column: str) -> list[timedelta]:
    async with db.connect() as conn:
        rows = (await conn.execute(text(f"SELECT {column} FROM {table} ORDER BY {column}"))).scalars().all()
    return sorted({NOW - at for at in rows})


async def test_old_rows_go_and_recent_rows_stay(engine: tuple[ErrandSettings, AsyncEngine]) -> None:
    settings, db = engine
    assert settings.inbox_retention_seconds == 7 * 24 * 3600
    assert settings.idempotency_key_retention_seconds == 48 * 3600
    await insert_inbox(db, timedelta(days=30), 20)  # several batches of 7
    await insert_inbox(db, timedelta(days=7, minutes=1), 3)
    await insert_inbox(db, timedelta(days=6, hours=23), 2)
    await insert_inbox(db, timedelta(minutes=5), 2)
    await insert_keys(db, timedelta(days=3), 10)
    await insert_keys(db, timedelta(hours=48, minutes=1), 1)
    await insert_keys(db, timedelta(hours=47), 2)

    removed = await RetentionJob(db, settings).run_once(now=NOW)

    assert (removed.inbox, removed.idempotency_keys) == (23, 11)
    assert await ages(db, "processed_events", "processed_at") == [
        timedelta(minutes=5),
        timedelta(days=6, hours=23),
    ]
    assert await ages(db, "idempotency_keys", "created_at") == [timedelta(hours=47)]
    again = await RetentionJob(db, settings).run_once(now=NOW)
    assert (again.inbox, again.idempotency_keys) == (0, 0)


async def test_two_replicas_running_at_once_delete_each_old_row_once(
    engine: tuple[ErrandSettings, AsyncEngine],
) -> None:
    settings, db = engine
    await insert_inbox(db, timedelta(days=10), 50)
    await insert_inbox(db, timedelta(hours=1), 5)
    first, second = await asyncio.gather(
        RetentionJob(db, settings).run_once(now=NOW), RetentionJob(db, settings).run_once(now=NOW)
    )
    # A replica that finds the lock taken leaves the round to the other; the next round finishes.
    third = await RetentionJob(db, settings).run_once(now=NOW)
    assert first.inbox + second.inbox + third.inbox == 50
    assert await ages(db, "processed_events", "processed_at") == [timedelta(hours=1)]


def test_an_inbox_horizon_shorter_than_the_redelivery_window_is_refused() -> None:
    with pytest.raises(ValueError, match="inbox_retention_seconds"):
        ErrandSettings(inbox_retention_seconds=60, delivery_limit=5, retry_max_delay_seconds=30)
