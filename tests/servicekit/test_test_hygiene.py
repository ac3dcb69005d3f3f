"""Tests clean up what they declare on the shared broker (issue 9, item 15)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest
from fastapi import FastAPI

import errand.main
from errand.config import Settings as ErrandSettings
from servicekit.broker import declare_service_queue
from servicekit.settings import DEV_AMQP_URL, BaseServiceSettings
from servicekit.stack import ServiceSpec, running_stack
from servicekit.testing import isolated_settings, leaked_queues
from servicekit.tokens import TokenSigner


async def queue_exists(name: str) -> bool:
    connection = await aio_pika.connect(DEV_AMQP_URL)
    async with connection:
        channel = await connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return False
        return True


def errand_app_failing_after_start(settings: BaseServiceSettings) -> FastAPI:
    """The errand app whose start-up fails after its consumer declared its queue (as a lifespan
    hook failing late would)."""
    app = errand.main.create_app(settings)  # type: ignore[arg-type]
    started = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with started(application):
            raise RuntimeError("a start-up step failed after the queue was declared")
            yield  # pragma: no cover

    app.router.lifespan_context = lifespan
    return app


async def test_a_service_that_fails_to_start_in_a_stack_leaves_no_queue_and_no_database(
    namespace: str,
) -> None:
    spec = ServiceSpec("errand", ErrandSettings, errand_app_failing_after_start, errand.main.MIGRATIONS)
    with pytest.raises(RuntimeError):
        async with running_stack(
            [spec], namespace=namespace, public_key_pem=TokenSigner.generate().public_pem
        ):
            pass
    assert not await queue_exists(f"wltest.{namespace}.errand.events")
    assert not await queue_exists(f"wltest.{namespace}.errand.events.dlq")
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        found = await admin.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", f"wltest_{namespace}_errand"
        )
    finally:
        await admin.close()
    assert found is None


def test_the_leak_check_judges_only_this_runs_namespaces() -> None:
    names = [
        "wltest.aaa.errand.events",
        "wltest.aaa.errand.events.dlq",
        "wltest.bbb.gateway.events",
        "x.events",
    ]
    assert leaked_queues(names, {"aaa"}) == ["wltest.aaa.errand.events", "wltest.aaa.errand.events.dlq"]
    assert leaked_queues(names, set()) == []


async def test_a_test_queue_left_unused_is_dropped_by_the_broker_itself(namespace: str) -> None:
    """A run killed before its cleanup (Ctrl-C, a CI timeout) leaves nothing behind for good: test
    queues carry x-expires, and the broker deletes them once unused."""
    settings = isolated_settings(ErrandSettings, namespace=namespace, queue_expires_seconds=1.0)
    assert isolated_settings(ErrandSettings, namespace=namespace).queue_expires_seconds == 900
    connection = await aio_pika.connect(DEV_AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await declare_service_queue(channel, settings, ["errand.order.created.v1"])
    assert await queue_exists(settings.queue_name)
    for _ in range(300):
        if not await queue_exists(settings.queue_name) and not await queue_exists(
            settings.dead_letter_queue_name
        ):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the unused test queues were not dropped")
    connection = await aio_pika.connect(DEV_AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.exchange_delete(settings.events_exchange)
        await channel.exchange_delete(settings.dead_letter_exchange)
