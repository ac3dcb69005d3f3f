"""The gateway as it is deployed (`python -m gateway`, uvicorn configured by servicekit.serve) in
a process of its own: who the client is, and the headers of a proxied answer, as a client on the
wire sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from servicekit.tokens import TokenSigner
from tests.gateway.helpers import deployed_gateway, serve_app, tiny_upstream

pytestmark = pytest.mark.timeout(120)

SIGNER = TokenSigner.generate()


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[str]:
    async with serve_app(tiny_upstream(SIGNER)) as url:
        yield url


async def _logins(gateway: str, forged: list[str]) -> list[int]:
    """One failed sign-in per forged X-Forwarded-For, each for another phone (so only the
    per-address budget can refuse them)."""
    statuses = []
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        for index, address in enumerate(forged):
            response = await client.post(
                "/api/v1/auth/login",
                json={"phone": f"1380013{index:04d}", "password": "not-the-password"},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(response.status_code)
    return statuses


async def test_a_forged_forwarded_for_gets_no_fresh_login_budget(namespace: str) -> None:
    forged = [f"203.0.113.{n}" for n in range(1, 5)]
    async with deployed_gateway(namespace, SIGNER, AUTH_RATE_LIMIT_PER_IP="2") as (gateway, _):
        statuses = await _logins(gateway, forged)
    # No trusted proxy is configured: every attempt is charged to the real peer (127.0.0.1),
    # whatever the header says, so the third is refused.
    assert statuses == [401, 401, 429, 429]


async def test_only_the_trusted_proxies_setting_makes_the_header_believed(namespace: str) -> None:
    forged = [f"203.0.113.{n}" for n in range(1, 5)]
    async with deployed_gateway(
        namespace, SIGNER, AUTH_RATE_LIMIT_PER_IP="2", TRUSTED_PROXIES='["127.0.0.1"]'
    ) as (gateway, _):
        statuses = await _logins(gateway, forged)
    assert statuses == [401, 401, 401, 401]  # a trusted proxy's header names four clients


async def test_a_proxied_answer_has_one_date_and_one_server(namespace: str, upstream: str) -> None:
    async with (
        deployed_gateway(namespace, SIGNER, ERRAND_URL=upstream) as (gateway, _),
        httpx.AsyncClient(base_url=gateway, timeout=10) as client,
    ):
        proxied = await client.get("/api/v1/errand/anything")
        direct = await client.get(f"{upstream}/api/v1/errand/anything")
        own = await client.get("/health/live")
    assert proxied.status_code == 200
    assert proxied.headers["x-upstream"] == "tiny"  # really proxied
    # The upstream sends its own Date and Server: they must not ride along beside the gateway's.
    assert len(direct.headers.get_list("date")) == 1
    assert len(direct.headers.get_list("server")) == 1
    for response in (proxied, own):
        assert len(response.headers.get_list("date")) == 1, response.headers
        assert len(response.headers.get_list("server")) <= 1, response.headers
