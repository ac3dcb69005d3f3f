"""Alembic per service: one shared env.py body, the messaging tables, and a programmatic upgrade.

Each service keeps its revisions in ``src/<service>/migrations`` (so they ship in the package)
and an ``alembic.ini`` at its root for the alembic CLI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.db import ensure_database
from servicekit.people import people_table
from servicekit.settings import BaseServiceSettings
from servicekit.tables import (
    CREATE_NOTIFY_FUNCTION,
    CREATE_NOTIFY_TRIGGER,
    DROP_NOTIFY_FUNCTION,
    DROP_NOTIFY_TRIGGER,
    idempotency_keys,
    messaging_metadata,
    outbox_messages,
    processed_events,
)


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def migrate(settings: BaseServiceSettings, script_location: Path, revision: str = "head") -> None:
    """Create the service's database if needed and bring its schema to ``revision``."""
    url = settings.database_url.get_secret_value()
    await ensure_database(url)
    # env.py runs its own event loop, so Alembic runs in a worker thread.
    await asyncio.to_thread(command.upgrade, alembic_config(script_location, url), revision)


def downgrade(settings: BaseServiceSettings, script_location: Path, revision: str = "base") -> None:
    command.downgrade(alembic_config(script_location, settings.database_url.get_secret_value()), revision)


def run_alembic_env(service_metadata: MetaData, settings_factory: Callable[[], BaseServiceSettings]) -> None:
    """The body of every service's migrations/env.py."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or settings_factory().database_url.get_secret_value()
    targets: Sequence[MetaData] = [service_metadata, messaging_metadata]

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=targets, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=targets, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(run_async())


def create_messaging_tables() -> None:
    """For a service's first revision: the outbox (with its NOTIFY trigger) and the inbox."""
    bind = op.get_bind()
    outbox_messages.create(bind)
    processed_events.create(bind)
    op.execute(CREATE_NOTIFY_FUNCTION)
    op.execute(CREATE_NOTIFY_TRIGGER)


def drop_messaging_tables() -> None:
    op.execute(DROP_NOTIFY_TRIGGER)
    op.execute(DROP_NOTIFY_FUNCTION)
    processed_events.drop(op.get_bind())
    outbox_messages.drop(op.get_bind())


def create_idempotency_table() -> None:
    idempotency_keys.create(op.get_bind())


def drop_idempotency_table() -> None:
    idempotency_keys.drop(op.get_bind())


def create_people_table() -> None:
    """The `people` projection (servicekit.people) of a service that checks user ids."""
    people_table(MetaData()).create(op.get_bind())


def drop_people_table() -> None:
    people_table(MetaData()).drop(op.get_bind())
