"""WeChat mini-program login against a local server speaking WeChat's code2session protocol."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from gateway.cli import run_command
from gateway.config import Settings
from servicekit.tokens import TokenSigner
from tests.gateway.helpers import WECHAT_APPID, WECHAT_SECRET, fake_wechat, running_gateway, serve_app

pytestmark = pytest.mark.timeout(60)

SIGNER = TokenSigner.generate()


@pytest.fixture(scope="module")
async def gateway_url() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    calls: list[dict[str, str]] = []
    async with (
        serve_app(fake_wechat(calls)) as wechat,
        running_gateway(
            uuid.uuid4().hex[:12],
            SIGNER,
            wechat_api_base_url=wechat,
            wechat_appid=WECHAT_APPID,
            wechat_secret=WECHAT_SECRET,
        ) as (url, stack),
    ):
        # The CLI's first admin creates the community a WeChat sign-up joins.
        settings = stack.settings["gateway"]
        assert isinstance(settings, Settings)
        await run_command(
            ["create-admin", "--phone", "13900000002", "--password", "wechat-admin-1"], settings
        )
        yield url, calls


async def test_a_new_openid_gets_a_resident_account_and_signs_in_again(
    gateway_url: tuple[str, list[dict[str, str]]],
) -> None:
    url, calls = gateway_url
    openid = f"o-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=url) as client:
        first = await client.post("/api/v1/auth/wechat", json={"code": f"ok-{openid}"})
        again = await client.post("/api/v1/auth/wechat", json={"code": f"ok-{openid}"})
        me = await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"}
        )
    assert first.status_code == 200, first.text
    first_claims = jwt.decode(first.json()["access_token"], options={"verify_signature": False})
    again_claims = jwt.decode(again.json()["access_token"], options={"verify_signature": False})
    assert first_claims["sub"] == again_claims["sub"]
    assert first_claims["roles"] == ["resident"]
    assert me.json()["phone"] is None
    assert calls[-1] == {"appid": WECHAT_APPID, "js_code": f"ok-{openid}", "grant_type": "authorization_code"}


@pytest.mark.parametrize(
    ("code", "status", "problem"),
    [
        ("bad", 401, "wechat_code_invalid"),
        ("used", 401, "wechat_code_invalid"),
        ("limited", 429, "wechat_rejected"),
        ("busy", 503, "wechat_unavailable"),
    ],
)
async def test_wechat_errors_become_problems(
    gateway_url: tuple[str, list[dict[str, str]]], code: str, status: int, problem: str
) -> None:
    url, _ = gateway_url
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post(
            "/api/v1/auth/wechat", json={"code": code}, headers={"Accept-Language": "en"}
        )
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == problem


async def test_wrong_app_credentials_are_our_fault_not_the_users(namespace: str) -> None:
    async with (
        serve_app(fake_wechat()) as wechat,
        running_gateway(
            namespace, SIGNER, wechat_api_base_url=wechat, wechat_appid="wrong", wechat_secret=WECHAT_SECRET
        ) as (url, _),
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.post("/api/v1/auth/wechat", json={"code": "ok-someone"})
    assert response.status_code == 502
    assert response.json()["code"] == "wechat_rejected"
    assert "40013" in response.json()["detail"]
