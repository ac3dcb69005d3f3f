"""Rate limits in Redis: accuracy at twice the limit, 429 with Retry-After, stricter limits on
sign-in, and the written decision for a Redis outage (README): ordinary traffic fails open,
sign-in and registration fail closed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.cli import run_command
from servicekit.tokens import TokenSigner
from tests.gateway.helpers import running_gateway, serve_app, tiny_upstream, user_token

pytestmark = pytest.mark.timeout(90)

SIGNER = TokenSigner.generate()
LIMIT = 100
DURATION_SECONDS = 20.0


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[str]:
    async with serve_app(tiny_upstream(SIGNER)) as url:
        yield url


async def test_accepted_count_at_twice_the_limit_is_the_limit(upstream: str, namespace: str) -> None:
    async with running_gateway(
        namespace,
        SIGNER,
        errand_url=upstream,
        rate_limit_per_user=LIMIT,
        rate_limit_window_seconds=DURATION_SECONDS,
        rate_limit_per_ip=100_000,
    ) as (gateway, _):
        headers = {"Authorization": f"Bearer {user_token(SIGNER)}"}
        sent = 2 * LIMIT
        interval = DURATION_SECONDS / sent
        async with httpx.AsyncClient(base_url=gateway, headers=headers, timeout=10) as client:
            start = time.monotonic()

            async def one(index: int) -> httpx.Response:
                await asyncio.sleep(max(0.0, start + index * interval - time.monotonic()))
                return await client.get("/api/v1/errand/orders")

            responses = await asyncio.gather(*(one(i) for i in range(sent)))
    statuses = [r.status_code for r in responses]
    accepted = statuses.count(200)
    assert statuses.count(429) == sent - accepted
    assert abs(accepted - LIMIT) <= 0.05 * LIMIT, accepted
    refused = [r for r in responses if r.status_code == 429]
    assert all(1 <= int(r.headers["retry-after"]) <= DURATION_SECONDS for r in refused)
    assert refused[0].json()["code"] == "rate_limited"


async def test_limits_are_per_user_and_per_ip(upstream: str, namespace: str) -> None:
    async with (
        running_gateway(
            namespace,
            SIGNER,
            errand_url=upstream,
            rate_limit_per_user=3,
            rate_limit_per_ip=5,
            auth_rate_limit_per_ip=2,
        ) as (gateway, _),
        httpx.AsyncClient(base_url=gateway) as client,
    ):
        first = {"Authorization": f"Bearer {user_token(SIGNER)}"}
        second = {"Authorization": f"Bearer {user_token(SIGNER)}"}
        a = [(await client.get("/api/v1/errand/x", headers=first)).status_code for _ in range(4)]
        b = [(await client.get("/api/v1/errand/x", headers=second)).status_code for _ in range(2)]
        # The address is now used up (3 + 2 admitted = 5) for everyone, token or not.
        anonymous = await client.get("/api/v1/errand/x")
        # Sign-in has its own, stricter budget per address.
        logins = [
            (
                await client.post("/api/v1/auth/login", json={"phone": "13800138000", "password": "x"})
            ).status_code
            for _ in range(3)
        ]
    assert a == [200, 200, 200, 429]
    assert b == [200, 200]
    assert anonymous.status_code == 429
    assert logins[:2] == [401, 401]
    assert logins[2] == 429


async def test_redis_down_fails_open_for_traffic_and_closed_for_sign_in(
    upstream: str, namespace: str
) -> None:
    async with running_gateway(
        namespace, SIGNER, errand_url=upstream, redis_url="redis://127.0.0.1:1/0", rate_limit_per_user=1
    ) as (gateway, _):
        headers = {"Authorization": f"Bearer {user_token(SIGNER)}"}
        async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
            traffic = [(await client.get("/api/v1/errand/x", headers=headers)).status_code for _ in range(3)]
            login = await client.post(
                "/api/v1/auth/login", json={"phone": "13800138000", "password": "whatever"}
            )
            register = await client.post(
                "/api/v1/auth/register",
                json={"phone": "13800138001", "password": "long-enough-1", "display_name": "x"},
            )
            ready = await client.get("/health/ready")
    assert traffic == [200, 200, 200]  # the limit of 1 is not enforced without Redis
    for refused in (login, register):
        body: dict[str, Any] = refused.json()
        assert refused.status_code == 503
        assert body["code"] == "rate_limiter_unavailable"
        assert refused.headers["retry-after"] == "1"
    assert ready.status_code == 200  # Redis is advisory: the decisions above answer for it
    assert ready.json()["checks"]["redis"] == {"ok": False, "detail": "ConnectionError", "required": False}


OWNER_PHONE = "13700137000"
OWNER_PASSWORD = "owner-pass-1"


async def _sign_in(client: httpx.AsyncClient, password: str, address: str) -> httpx.Response:
    """A sign-in as seen from ``address`` (the gateway trusts loopback as its proxy here)."""
    return await client.post(
        "/api/v1/auth/login",
        json={"phone": OWNER_PHONE, "password": password},
        headers={"X-Forwarded-For": address},
    )


@contextlib.asynccontextmanager
async def _gateway_with_owner(namespace: str, upstream: str, **overrides: Any) -> AsyncIterator[str]:
    async with running_gateway(
        namespace,
        SIGNER,
        errand_url=upstream,
        trusted_proxies=("127.0.0.1",),
        auth_rate_limit_per_ip=10_000,
        **overrides,
    ) as (gateway, stack):
        await run_command(
            ["create-admin", "--phone", OWNER_PHONE, "--password", OWNER_PASSWORD], stack.settings["gateway"]
        )
        yield gateway


async def test_a_stranger_cannot_lock_the_owner_out(upstream: str, namespace: str) -> None:
    async with (
        _gateway_with_owner(namespace, upstream) as gateway,
        httpx.AsyncClient(base_url=gateway, timeout=10) as client,
    ):
        stranger, owner = "198.51.100.7", "203.0.113.9"
        guesses = [(await _sign_in(client, f"guess-{n}-x", stranger)).status_code for n in range(8)]
        right_password_from_the_stranger = await _sign_in(client, OWNER_PASSWORD, stranger)
        the_owner = await _sign_in(client, OWNER_PASSWORD, owner)
    # Guessing from one address is stopped after the free attempts (even the right password).
    assert guesses == [401] * 5 + [429] * 3
    assert right_password_from_the_stranger.status_code == 429
    assert right_password_from_the_stranger.json()["code"] == "login_throttled"
    # The owner, from their own address, signs in all the same.
    assert the_owner.status_code == 200, the_owner.text


async def test_the_delay_doubles_and_a_success_forgets_it(upstream: str, namespace: str) -> None:
    async with (
        _gateway_with_owner(
            namespace, upstream, login_free_attempts=1, login_delay_base_seconds=1.0
        ) as gateway,
        httpx.AsyncClient(base_url=gateway, timeout=10) as client,
    ):
        address = "198.51.100.8"
        first = await _sign_in(client, "wrong-pass-1", address)
        waits = []
        for _ in range(2):
            refused = await _sign_in(client, "wrong-pass-1", address)
            assert refused.status_code == 429
            waits.append(int(refused.headers["retry-after"]))
            await asyncio.sleep(waits[-1] + 0.1)
            assert (await _sign_in(client, "wrong-pass-1", address)).status_code == 401
        refused = await _sign_in(client, OWNER_PASSWORD, address)
        await asyncio.sleep(int(refused.headers["retry-after"]) + 0.1)
        success = await _sign_in(client, OWNER_PASSWORD, address)
        after_success = await _sign_in(client, "wrong-pass-1", address)
    assert first.status_code == 401
    assert waits == [1, 2]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == 4
    assert success.status_code == 200
    assert after_success.status_code == 401  # the success forgot the address's attempts


async def test_guessing_spread_over_many_addresses_is_capped_per_phone(upstream: str, namespace: str) -> None:
    async with (
        _gateway_with_owner(namespace, upstream, auth_rate_limit_per_phone=4) as gateway,
        httpx.AsyncClient(base_url=gateway, timeout=10) as client,
    ):
        spread = [(await _sign_in(client, "guess-123-x", f"198.51.100.{n}")).status_code for n in range(1, 7)]
    assert spread == [401] * 4 + [429] * 2
