"""schemathesis 4 against the gateway's own OpenAPI, signed in as a real admin who is also on the
committee: whatever it sends, the gateway never answers 5xx.

The gateway runs as a real uvicorn server on its own event loop in a thread (schemathesis drives
synchronous requests)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

import gateway.main
from gateway.cli import run_command
from gateway.config import Settings
from servicekit.testing import new_namespace, served_in_thread
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


@contextlib.asynccontextmanager
async def gateway_with_admin() -> AsyncIterator[tuple[str, str]]:
    """A real gateway (and a fake WeChat) with an admin account: (base URL, access token)."""
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
        yield url, tokens["access_token"]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    with served_in_thread(gateway_with_admin, name="gateway-under-test") as found:
        yield found


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, server: tuple[str, str]) -> None:
    url, token = server
    response = case.call(base_url=url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
