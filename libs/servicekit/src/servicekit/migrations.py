"""Alembic per service: one shared env.py body, the messaging tables, and a programmatic upgrade.

Each service keeps its revisions in ``src/<service>/migrations`` (so they ship in the package)
and an ``alembic.ini`` at its root for the alembic CLI.

Replicas starting at once (a rollout, an init container per pod, the migration Job) never race:
every upgrade or downgrade runs holding a PostgreSQL session advisory lock on its database
(``MIGRATION_LOCK_KEY``), and Alembic reads the current revision only once it holds the lock, so
the first applies the revisions and the others wait, then find nothing left to do. A process that
dies while migrating lets go of the lock with its connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
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

# One key per database (each service has its own): "WLMIGRAT" as a bigint.
MIGRATION_LOCK_KEY = int.from_bytes(b"WLMIGRAT", "big") & 0x7FFFFFFFFFFFFFFF


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
        # The session lock outlives the commit that ends its own little transaction, so Alembic
        # then runs its migrations in transactions of its own, all under the lock.
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            context.configure(connection=connection, target_metadata=targets, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.in_transaction():
                connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()

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
