"""schemathesis 4 against the gateway's own OpenAPI, signed in as a real admin who is also on the
committee: whatever it sends, the gateway never answers 5xx.

The gateway runs as a real uvicorn server on its own event loop in a thread (schemathesis drives
synchronous requests)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import gateway.main
from gateway.cli import run_command
from gateway.config import Settings
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.gateway.helpers import WECHAT_APPID, WECHAT_SECRET, fake_wechat, running_gateway, serve_app

SIGNER = TokenSigner.generate()
PHONE = "13900000009"
PASSWORD = "schema-admin-1"

# Left out: the SSE stream never ends by design, and readiness is 503 here by design (no upstreams
# run in this test).
schema = schemathesis.openapi.from_dict(gateway.main.create_app(Settings()).openapi()).exclude(
    path=["/api/v1/me/notifications/stream", "/health/ready"]
)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    ready = threading.Event()
    stop: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    found: list[tuple[str, str]] = []
    failures: list[BaseException] = []

    async def serve() -> None:
        stopping = asyncio.Event()
        stop.append((asyncio.get_running_loop(), stopping))
        async with (
            serve_app(fake_wechat()) as wechat,
            running_gateway(
                new_namespace(),
                SIGNER,
                wechat_api_base_url=wechat,
                wechat_appid=WECHAT_APPID,
                wechat_secret=WECHAT_SECRET,
                rate_limit_per_ip=1_000_000,
                rate_limit_per_user=1_000_000,
                auth_rate_limit_per_ip=1_000_000,
                auth_rate_limit_per_phone=1_000_000,
            ) as (url, stack),
        ):
            settings = stack.settings["gateway"]
            assert isinstance(settings, Settings)
            await run_command(["create-admin", "--phone", PHONE, "--password", PASSWORD], settings)
            await run_command(["grant-role", "--phone", PHONE, "--role", "committee"], settings)
            async with httpx.AsyncClient(base_url=url) as client:
                tokens = (
                    await client.post("/api/v1/auth/login", json={"phone": PHONE, "password": PASSWORD})
                ).json()
            found.append((url, tokens["access_token"]))
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

    thread = threading.Thread(target=run, name="gateway-under-test", daemon=True)
    thread.start()
    assert ready.wait(60), "the gateway did not start"
    if failures:
        raise failures[0]
    loop, stopping = stop[0]
    try:
        yield found[0]
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(60)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, server: tuple[str, str]) -> None:
    url, token = server
    response = case.call(base_url=url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
