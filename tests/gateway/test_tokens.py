"""Bad access tokens are refused by the gateway (its own routes and the proxy) and by a service
hit directly with servicekit's verification, so bypassing the gateway gains nothing."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from servicekit.tokens import TokenSigner
from tests.gateway.helpers import running_gateway, serve_app, tiny_upstream, user_token

pytestmark = pytest.mark.timeout(60)

SIGNER = TokenSigner.generate()


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _tampered() -> str:
    header, payload, signature = user_token(SIGNER).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["admin"]
    return f"{header}.{_b64(claims)}.{signature}"


def _alg_none() -> str:
    valid = user_token(SIGNER).split(".")[1]
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{valid}."


BAD_TOKENS = {
    "expired": lambda: user_token(SIGNER, now=time.time() - 3600, ttl_seconds=60),
    "tampered": _tampered,
    "wrong_key": lambda: user_token(TokenSigner.generate()),
    "alg_none": _alg_none,
    "garbage": lambda: "not.a.jwt",
}


@pytest.fixture(scope="module")
async def servers() -> AsyncIterator[tuple[str, str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    async with (
        serve_app(tiny_upstream(SIGNER, seen=seen)) as upstream,
        running_gateway(
            uuid.uuid4().hex[:12],
            SIGNER,
            errand_url=upstream,
            reports_url=upstream,
            forum_url=upstream,
            payments_url=upstream,
        ) as (gateway, _),
    ):
        yield gateway, upstream, seen


async def test_a_valid_token_passes_everywhere(servers: tuple[str, str, list[dict[str, Any]]]) -> None:
    gateway, upstream, _ = servers
    token = user_token(SIGNER)
    async with httpx.AsyncClient() as client:
        direct = await client.get(f"{upstream}/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
        proxied = await client.get(f"{gateway}/api/v1/errand/x", headers={"Authorization": f"Bearer {token}"})
    assert direct.status_code == 200
    assert proxied.status_code == 200


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
async def test_bad_tokens_are_refused_by_gateway_and_service(
    servers: tuple[str, str, list[dict[str, Any]]], kind: str
) -> None:
    gateway, upstream, seen = servers
    headers = {"Authorization": f"Bearer {BAD_TOKENS[kind]()}"}
    before = len(seen)
    async with httpx.AsyncClient() as client:
        own = await client.get(f"{gateway}/api/v1/me", headers=headers)
        proxied = await client.get(f"{gateway}/api/v1/errand/orders", headers=headers)
        direct = await client.get(f"{upstream}/api/v1/whoami", headers=headers)
    for response in (own, proxied, direct):
        assert response.status_code == 401, (kind, response.text)
        assert response.json()["code"] == ("token_expired" if kind == "expired" else "token_invalid")
        assert "invalid_token" in response.headers["www-authenticate"] or kind == "garbage"
    assert len(seen) == before  # the gateway did not pass the request on
