"""Helpers for tests and benchmarks that run against the real PostgreSQL and RabbitMQ:
a throw-away database and a private set of exchanges and queues per test."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

import aio_pika
from pydantic import SecretStr

from servicekit.db import drop_database, ensure_database
from servicekit.settings import DEV_AMQP_URL, DEV_DATABASE_HOST, BaseServiceSettings

S = TypeVar("S", bound=BaseServiceSettings)
T = TypeVar("T")


TEST_QUEUE_EXPIRES_SECONDS = 900.0


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
        # A run killed before its cleanup: the broker drops the unused queues after 15 minutes.
        "queue_expires_seconds": TEST_QUEUE_EXPIRES_SECONDS,
        "retry_base_delay_seconds": 0.05,
        "retry_max_delay_seconds": 0.2,
        "outbox_fallback_poll_seconds": 1.0,
        "outbox_max_backoff_seconds": 1.0,
    }
    values.update(overrides)
    return settings_class.model_validate(values)


#: Every namespace this process handed out: what a leak check may look for on a shared broker
#: (other runs on the same broker have namespaces of their own).
ISSUED_NAMESPACES: set[str] = set()


def new_namespace() -> str:
    namespace = uuid.uuid4().hex[:12]
    ISSUED_NAMESPACES.add(namespace)
    return namespace


def leaked_queues(queue_names: Iterable[str], namespaces: Iterable[str]) -> list[str]:
    """Those of ``queue_names`` that belong to one of ``namespaces`` (``wltest.<namespace>.*``)."""
    prefixes = tuple(f"wltest.{namespace}." for namespace in namespaces)
    return sorted(name for name in queue_names if prefixes and name.startswith(prefixes))


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


@contextlib.contextmanager
def served_in_thread(
    start: Callable[[], contextlib.AbstractAsyncContextManager[T]], *, name: str, timeout: float = 60
) -> Iterator[T]:
    """Enter the async context manager ``start()`` on an event loop of its own in a thread, for
    synchronous drivers (schemathesis) that call real servers while the test's loop is not running.
    Yields what it yields; leaving stops it on its own loop."""
    ready = threading.Event()
    handed: list[tuple[asyncio.AbstractEventLoop, asyncio.Event, T]] = []
    failures: list[BaseException] = []

    async def serve() -> None:
        stopping = asyncio.Event()
        async with start() as value:
            handed.append((asyncio.get_running_loop(), stopping, value))
            ready.set()
            await stopping.wait()

    def run() -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(serve())
        except BaseException as exc:  # surfaced to the caller below
            failures.append(exc)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    if not ready.wait(timeout):
        raise TimeoutError(f"{name} did not start within {timeout} s")
    if failures:
        raise failures[0]
    loop, stopping, value = handed[0]
    try:
        yield value
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout)


# Any key pair works against the local S3 server; the client signs with it all the same (SigV4).
TEST_S3_ACCESS_KEY = "weilinli-test"
TEST_S3_SECRET_KEY = "weilinli-test-secret"  # noqa: S105 (a test server's)


@contextlib.contextmanager
def local_s3_server() -> Iterator[str]:
    """A local HTTP server speaking the S3 protocol (moto's, a development dependency), on a free
    loopback port in a thread; yields its endpoint URL. Stands in for MinIO or a cloud's object
    storage, the outside world of the photo store."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_photo_settings(endpoint: str, bucket: str) -> dict[str, Any]:
    """The settings that put a service's photos into ``bucket`` at ``endpoint`` (usable as
    overrides of a Settings class or in ``model_copy(update=...)``)."""
    return {
        "photo_storage": "s3",
        "photo_s3_endpoint": endpoint,
        "photo_s3_bucket": bucket,
        "photo_s3_access_key": SecretStr(TEST_S3_ACCESS_KEY),
        "photo_s3_secret_key": SecretStr(TEST_S3_SECRET_KEY),
    }
