"""Every service's Alembic migrations on a fresh database: up, idempotent, down, up again."""

from __future__ import annotations

import asyncio
import importlib
import json
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from servicekit.db import asyncpg_dsn, drop_database
from servicekit.migrations import alembic_config, downgrade, migrate
from servicekit.settings import BaseServiceSettings
from servicekit.tables import OUTBOX_NOTIFY_CHANNEL
from servicekit.testing import isolated_settings

SERVICES = ["errand", "reports", "forum", "payments", "gateway"]
MESSAGING_TABLES = {"outbox_messages", "processed_events"}


def service_settings(service: str, namespace: str) -> tuple[BaseServiceSettings, Path]:
    settings_class = importlib.import_module(f"{service}.config").Settings
    migrations = importlib.import_module(f"{service}.main").MIGRATIONS
    return isolated_settings(settings_class, namespace=namespace), migrations


async def connect(settings: BaseServiceSettings, database: str | None = None) -> asyncpg.Connection:
    dsn = asyncpg_dsn(settings.database_url.get_secret_value())
    if database is not None:
        dsn = dsn.rsplit("/", 1)[0] + f"/{database}"
    return await asyncpg.connect(dsn)


async def database_exists(settings: BaseServiceSettings) -> bool:
    name = settings.database_url.get_secret_value().rsplit("/", 1)[1]
    conn = await connect(settings, "postgres")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def schema_state(settings: BaseServiceSettings) -> dict[str, Any]:
    conn = await connect(settings)
    try:
        tables = {
            row["tablename"]
            for row in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        triggers = {
            (row["table"], row["tgname"])
            for row in await conn.fetch(
                "SELECT tgrelid::regclass::text AS table, tgname FROM pg_trigger WHERE NOT tgisinternal"
            )
        }
        functions = {
            row["proname"]
            for row in await conn.fetch(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = 'public'"
            )
        }
        versions = (
            [row["version_num"] for row in await conn.fetch("SELECT version_num FROM alembic_version")]
            if "alembic_version" in tables
            else []
        )
        return {"tables": tables, "triggers": triggers, "functions": functions, "versions": versions}
    finally:
        await conn.close()


def head_revision(settings: BaseServiceSettings, migrations: Path) -> str:
    config = alembic_config(migrations, settings.database_url.get_secret_value())
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


async def outbox_insert_notifies(settings: BaseServiceSettings) -> bool:
    """The trigger really wakes a LISTENer when an outbox row commits."""
    listener = await connect(settings)
    writer = await connect(settings)
    woken = asyncio.Event()
    try:
        await listener.add_listener(OUTBOX_NOTIFY_CHANNEL, lambda *_args: woken.set())
        await writer.execute(
            "INSERT INTO outbox_messages (event_id, event_type, body) VALUES ($1, $2, $3::jsonb)",
            uuid.uuid4(),
            "test.migrations.v1",
            json.dumps({"hello": "邻里"}),
        )
        try:
            await asyncio.wait_for(woken.wait(), timeout=5)
        except TimeoutError:
            return False
        return True
    finally:
        await writer.close()
        await listener.close()


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_up_again_down_and_up(service: str, namespace: str) -> None:
    settings, migrations = service_settings(service, namespace)
    head = head_revision(settings, migrations)
    assert not await database_exists(settings)
    try:
        # Up: the database is created and brought to head.
        await migrate(settings, migrations)
        assert await database_exists(settings)
        state = await schema_state(settings)
        assert {*MESSAGING_TABLES, "alembic_version"} <= state["tables"]
        assert ("outbox_messages", "outbox_messages_notify") in state["triggers"]
        assert "weilinli_outbox_notify" in state["functions"]
        assert state["versions"] == [head]
        assert await outbox_insert_notifies(settings)

        # Up again: a no-op that keeps the data.
        await migrate(settings, migrations)
        again = await schema_state(settings)
        assert again == state
        conn = await connect(settings)
        try:
            assert await conn.fetchval("SELECT count(*) FROM outbox_messages") == 1
        finally:
            await conn.close()

        # Down to base: everything the migrations made is gone (alembic keeps its own table).
        await asyncio.to_thread(downgrade, settings, migrations)
        down = await schema_state(settings)
        assert down["tables"] == {"alembic_version"}
        assert down["versions"] == []
        assert down["triggers"] == set()
        assert "weilinli_outbox_notify" not in down["functions"]

        # And up once more from base.
        await migrate(settings, migrations)
        assert await schema_state(settings) == {**state}
        assert await outbox_insert_notifies(settings)
    finally:
        await drop_database(settings.database_url.get_secret_value())
    assert not await database_exists(settings)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_own_migrations(service: str) -> None:
    migrations = importlib.import_module(f"{service}.main").MIGRATIONS
    assert migrations.is_dir()
    assert (migrations / "env.py").is_file()
    assert f"{service}.config" in (migrations / "env.py").read_text()
    ini = Path(importlib.import_module(service).__file__ or "").parents[2] / "alembic.ini"
    assert ini.is_file(), ini
    assert f"src/{service}/migrations" in ini.read_text()
