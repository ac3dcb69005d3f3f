"""schemathesis 4 against the errand service's OpenAPI, with a valid token holding every role:
whatever it sends, the service never answers 5xx.

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

import errand.main
from errand.config import Settings
from servicekit.stack import Stack
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.errand.helpers import errand_server

SIGNER = TokenSigner.generate()
COMMUNITY = uuid.uuid4()
TOKEN = SIGNER.sign(
    user_id=uuid.uuid4(),
    community_id=COMMUNITY,
    roles=["resident", "courier", "committee", "admin"],
    household_id=uuid.uuid4(),
    building="3",
    ttl_seconds=3600,
)

schema = schemathesis.openapi.from_dict(errand.main.create_app(Settings(), configure_logs=False).openapi())


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    ready = threading.Event()
    stop: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    urls: list[str] = []
    failures: list[BaseException] = []

    async def serve() -> None:
        stopping = asyncio.Event()
        stop.append((asyncio.get_running_loop(), stopping))
        async with errand_server(new_namespace(), SIGNER) as stack:
            _remember(stack)
            ready.set()
            await stopping.wait()

    def _remember(stack: Stack) -> None:
        urls.append(stack.urls["errand"])

    def run() -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(serve())
        except BaseException as exc:  # surfaced to the test below
            failures.append(exc)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="errand-under-test", daemon=True)
    thread.start()
    assert ready.wait(60), "the errand server did not start"
    if failures:
        raise failures[0]
    loop, stopping = stop[0]
    try:
        yield urls[0]
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(60)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, server_url: str) -> None:
    response = case.call(base_url=server_url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
