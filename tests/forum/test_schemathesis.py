"""schemathesis 4 against the forum service's OpenAPI, with a valid token holding staff and
resident roles: whatever it sends, the service never answers 5xx.

The service runs as a real uvicorn server on its own event loop in a thread (schemathesis
drives synchronous requests), with its own database, exchange and Redis prefix."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import forum.main
from forum.config import Settings
from servicekit.testing import new_namespace
from tests.e2e.stack import stack_of
from tests.forum.helpers import SIGNER

TOKEN = SIGNER.sign(
    user_id=uuid.uuid4(),
    community_id=uuid.uuid4(),
    roles=["resident", "property_manager", "committee", "admin"],
    household_id=uuid.uuid4(),
    building="3号楼",
    ttl_seconds=3600,
)

schema = schemathesis.openapi.from_dict(forum.main.create_app(Settings()).openapi())


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    ready = threading.Event()
    stop: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    urls: list[str] = []
    failures: list[BaseException] = []

    async def serve() -> None:
        stopping = asyncio.Event()
        stop.append((asyncio.get_running_loop(), stopping))
        namespace = new_namespace()
        overrides = {"forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_enabled": False}}
        async with stack_of(["forum"], namespace=namespace, signer=SIGNER, overrides=overrides) as stack:
            urls.append(stack.urls["forum"])
            ready.set()
            await stopping.wait()

    def run() -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(serve())
        except BaseException as exc:  # surfaced to the test below
            failures.append(exc)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="forum-under-test", daemon=True)
    thread.start()
    assert ready.wait(60), "the forum server did not start"
    if failures:
        raise failures[0]
    loop, stopping = stop[0]
    try:
        yield urls[0]
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(60)


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, server_url: str) -> None:
    response = case.call(base_url=server_url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
