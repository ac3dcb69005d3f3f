"""Helpers for tests and benchmarks that run against the real PostgreSQL and RabbitMQ:
a throw-away database and a private set of exchanges and queues per test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import aio_pika

from servicekit.db import drop_database, ensure_database
from servicekit.settings import DEV_AMQP_URL, DEV_DATABASE_HOST, BaseServiceSettings

S = TypeVar("S", bound=BaseServiceSettings)


def isolated_settings(
    settings_class: type[S], *, namespace: str, service_name: str | None = None, **overrides: Any
) -> S:
    """Settings whose database, exchanges and queues belong to ``namespace`` alone."""
    name = service_name or settings_class.model_fields["service_name"].default
    values: dict[str, Any] = {
        "service_name": name,
        "database_url": f"{DEV_DATABASE_HOST}/wltest_{namespace}_{name}",
        "amqp_url": DEV_AMQP_URL,
        "events_exchange": f"wltest.{namespace}.events",
        "dead_letter_exchange": f"wltest.{namespace}.dlx",
        "queue_prefix": f"wltest.{namespace}.",
        "retry_base_delay_seconds": 0.05,
        "retry_max_delay_seconds": 0.2,
        "outbox_fallback_poll_seconds": 1.0,
        "outbox_max_backoff_seconds": 1.0,
    }
    values.update(overrides)
    return settings_class.model_validate(values)


def new_namespace() -> str:
    return uuid.uuid4().hex[:12]


@contextlib.asynccontextmanager
async def isolated_database(settings: BaseServiceSettings) -> AsyncIterator[str]:
    url = settings.database_url.get_secret_value()
    await ensure_database(url)
    try:
        yield url
    finally:
        await drop_database(url)


async def delete_messaging(settings: BaseServiceSettings, *queue_names: str) -> None:
    """Remove a test's exchanges and queues from the broker."""
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    try:
        channel = await connection.channel()
        for name in queue_names:
            await channel.queue_delete(name)
        await channel.exchange_delete(settings.events_exchange)
        await channel.exchange_delete(settings.dead_letter_exchange)
    finally:
        await connection.close()
