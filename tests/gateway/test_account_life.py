"""An account's whole life (docs/contract.md): SMS codes through the provider adapter (the development
catcher read at /dev/sms; Tencent Cloud SMS spoken to a local server that checks the TC3
signature), password reset, phone verification at registration, a code dead after five wrong
tries, and deletion refused on a wrong password."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, Request
from sqlalchemy import select

import gateway.main
from gateway.adapters.tables import users
from servicekit.migrations import migrate
from servicekit.testing import delete_messaging, isolated_database, new_namespace
from servicekit.tokens import TokenSigner
from tests.gateway.conftest import Gateway, gateway_settings
from tests.gateway.helpers import serve_app

PASSWORD = "resident-pass-1"


async def _code(gw: Gateway, phone: str, purpose: str) -> str:
    caught = await gw.client.get("/dev/sms", params={"phone": phone})
    assert caught.status_code == 200, caught.text
    items = [m for m in caught.json()["items"] if m["purpose"] == purpose]
    assert items, caught.json()
    assert items[0]["code"] in items[0]["text"]
    return str(items[0]["code"])


async def test_password_reset_through_the_development_catcher(gw: Gateway) -> None:
    _, phone = await gw.register(password=PASSWORD)
    old = await gw.login(phone, PASSWORD)
    asked = await gw.client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "reset"})
    assert asked.status_code == 202, asked.text
    code = await _code(gw, phone, "reset")

    reset = await gw.client.post(
        "/api/v1/auth/password-reset", json={"phone": phone, "code": code, "new_password": "new-pass-456"}
    )
    assert reset.status_code == 204, reset.text
    # Every sign-in ended; the old password is gone, the new one works; the code was spent.
    refreshed = await gw.client.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert refreshed.status_code == 401
    wrong = await gw.client.post("/api/v1/auth/login", json={"phone": phone, "password": PASSWORD})
    assert wrong.status_code == 401
    await gw.login(phone, "new-pass-456")
    again = await gw.client.post(
        "/api/v1/auth/password-reset", json={"phone": phone, "code": code, "new_password": "third-pass-789"}
    )
    assert again.status_code == 422
    assert again.json()["code"] == "sms_code_invalid"


async def test_sign_in_with_an_sms_code(gw: Gateway) -> None:
    """`{phone, sms_code}` instead of a password; the code is spent by its first use."""
    _, phone = await gw.register(password=PASSWORD)
    asked = await gw.client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "login"})
    assert asked.status_code == 202, asked.text
    code = await _code(gw, phone, "login")
    signed_in = await gw.client.post("/api/v1/auth/login", json={"phone": phone, "sms_code": code})
    assert signed_in.status_code == 200, signed_in.text
    me = await gw.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    )
    assert me.json()["phone"] == phone
    again = await gw.client.post("/api/v1/auth/login", json={"phone": phone, "sms_code": code})
    assert (again.status_code, again.json()["code"]) == (422, "sms_code_invalid")
    # A `reset` code does not sign in; both or neither of password and code: 422.
    both = await gw.client.post(
        "/api/v1/auth/login", json={"phone": phone, "sms_code": code, "password": PASSWORD}
    )
    neither = await gw.client.post("/api/v1/auth/login", json={"phone": phone})
    assert (both.status_code, neither.status_code) == (422, 422)


async def test_an_sms_login_code_wrong_five_times_is_dead(gw: Gateway) -> None:
    _, phone = await gw.register(password=PASSWORD)
    assert (
        await gw.client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "login"})
    ).status_code == 202
    code = await _code(gw, phone, "login")
    wrong = "000000" if code != "000000" else "111111"
    answers = [
        (await gw.client.post("/api/v1/auth/login", json={"phone": phone, "sms_code": wrong})).json()["code"]
        for _ in range(5)
    ]
    assert answers == ["sms_code_invalid"] * 4 + ["sms_code_dead"]
    right = await gw.client.post("/api/v1/auth/login", json={"phone": phone, "sms_code": code})
    assert right.status_code in (422, 429), right.text  # dead (or throttled as wrong passwords are)
    assert right.json()["code"] in ("sms_code_dead", "login_throttled")


async def test_one_code_a_minute_per_phone(gw: Gateway) -> None:
    _, phone = await gw.register(password=PASSWORD)
    first = await gw.client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "reset"})
    assert first.status_code == 202
    second = await gw.client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "reset"})
    assert second.status_code == 429
    assert second.json()["code"] == "sms_rate_limited"
    assert int(second.headers["Retry-After"]) >= 1


async def test_a_code_wrong_five_times_is_dead(gw: Gateway) -> None:
    _, phone = await gw.register(password=PASSWORD)
    assert (
        await gw.client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "reset"})
    ).status_code == 202
    code = await _code(gw, phone, "reset")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = []
    for _ in range(5):
        answer = await gw.client.post(
            "/api/v1/auth/password-reset",
            json={"phone": phone, "code": wrong, "new_password": "new-pass-456"},
        )
        answers.append(answer.json()["code"])
    assert answers == ["sms_code_invalid"] * 4 + ["sms_code_dead"]
    right = await gw.client.post(
        "/api/v1/auth/password-reset", json={"phone": phone, "code": code, "new_password": "new-pass-456"}
    )
    assert right.status_code == 422
    assert right.json()["code"] == "sms_code_dead"
    await gw.login(phone, PASSWORD)  # the password did not change


async def test_deletion_with_a_wrong_password_is_refused_and_erases_nothing(gw: Gateway) -> None:
    created, phone = await gw.register(password=PASSWORD)
    tokens = await gw.login(phone, PASSWORD)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    refused = await gw.client.request(
        "DELETE", "/api/v1/me", json={"password": "not-my-password"}, headers=headers
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "confirmation_failed"
    async with gw.app.state.runtime.uow() as uow:
        row = (await uow.session.execute(select(users).where(users.c.id == created["id"]))).one()
    assert (row.phone, row.display_name, row.deleted_at) == (phone, "居民", None)
    assert (await gw.client.get("/api/v1/me", headers=headers)).status_code == 200
    await gw.login(phone, PASSWORD)


async def test_deletion_confirmed_by_sms_closes_sign_in_at_once(gw: Gateway) -> None:
    _, phone = await gw.register(password=PASSWORD)
    tokens = await gw.login(phone, PASSWORD)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (
        await gw.client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "delete"})
    ).status_code == 202
    code = await _code(gw, phone, "delete")
    deleted = await gw.client.request("DELETE", "/api/v1/me", json={"sms_code": code}, headers=headers)
    assert deleted.status_code == 202, deleted.text
    assert (await gw.client.get("/api/v1/me", headers=headers)).status_code == 401
    login = await gw.client.post("/api/v1/auth/login", json={"phone": phone, "password": PASSWORD})
    assert login.status_code == 401
    refreshed = await gw.client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    event = await gw.tap.wait_for("gateway.user.deleted.v1")
    assert event["payload"]["user_id"]


# -- Tencent Cloud SMS (API 3.0 SendSms), spoken to a local server --------------------------------
SECRET_ID = "AKIDtest0000000000000000000000000000"
SECRET_KEY = "test-secret-key-0000000000000000"


def _expected_signature(request_headers: dict[str, str], body: bytes, secret_key: str) -> str:
    """TC3-HMAC-SHA256 as Tencent Cloud's "Signature v3" page describes it, computed here
    independently of the gateway's code."""
    timestamp = int(request_headers["x-tc-timestamp"])
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_headers = f"content-type:{request_headers['content-type']}\nhost:{request_headers['host']}\n"
    canonical = f"POST\n/\n\n{canonical_headers}\ncontent-type;host\n{hashlib.sha256(body).hexdigest()}"
    hashed = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n{hashed}"

    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(f"TC3{secret_key}".encode(), date), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def tencent_sms_server(received: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/")
    async def api(request: Request) -> dict[str, Any]:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        authorization = headers.get("authorization", "")
        fields = dict(
            part.strip().split("=", 1) for part in authorization.removeprefix("TC3-HMAC-SHA256 ").split(",")
        )
        ok = (
            headers.get("x-tc-action") == "SendSms"
            and headers.get("x-tc-version") == "2021-01-11"
            and fields.get("Credential", "").startswith(f"{SECRET_ID}/")
            and fields.get("SignedHeaders") == "content-type;host"
            and hmac.compare_digest(
                fields.get("Signature", ""), _expected_signature(headers, body, SECRET_KEY)
            )
        )
        if not ok:
            return {
                "Response": {
                    "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "signature mismatch"},
                    "RequestId": "r-1",
                }
            }
        payload = json.loads(body)
        received.append(payload)
        return {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": "2028:1",
                        "PhoneNumber": payload["PhoneNumberSet"][0],
                        "Fee": 1,
                        "SessionContext": "",
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "r-2",
            }
        }

    return app


@pytest.fixture
async def tencent_gateway() -> AsyncIterator[tuple[httpx.AsyncClient, list[dict[str, Any]], Any]]:
    received: list[dict[str, Any]] = []
    namespace = new_namespace()
    signer = TokenSigner.generate()
    async with serve_app(tencent_sms_server(received)) as sms_url:
        settings = gateway_settings(
            namespace,
            signer,
            sms_provider="tencent",
            sms_tencent_endpoint=sms_url,
            sms_tencent_secret_id=SECRET_ID,
            sms_tencent_secret_key=SECRET_KEY,
            sms_tencent_sdk_app_id="1400000000",
            sms_tencent_sign_name="微邻里",
            sms_tencent_template_id="1234567",
            registration_requires_sms=True,
        )
        async with isolated_database(settings):
            await migrate(settings, gateway.main.MIGRATIONS)
            from gateway.cli import run_command

            await run_command(
                ["create-admin", "--phone", "13900000003", "--password", "admin-pass-123"], settings
            )
            app = gateway.main.create_app(settings)
            try:
                async with LifespanManager(app) as manager:
                    transport = httpx.ASGITransport(app=manager.app)
                    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                        yield client, received, settings
            finally:
                await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)


async def test_registration_verifies_the_phone_with_a_code_sent_through_tencent_cloud(
    tencent_gateway: tuple[httpx.AsyncClient, list[dict[str, Any]], Any],
) -> None:
    client, received, _ = tencent_gateway
    phone = "13612345678"
    body = {"phone": phone, "password": PASSWORD, "display_name": "新邻居", "community_code": "default"}
    unverified = await client.post("/api/v1/auth/register", json=body)
    assert unverified.status_code == 422
    assert unverified.json()["code"] == "sms_code_required"

    asked = await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "register"})
    assert asked.status_code == 202, asked.text
    assert len(received) == 1  # the local server checked the signature before accepting
    sent = received[0]
    assert sent["PhoneNumberSet"] == [f"+86{phone}"]
    assert (sent["SmsSdkAppId"], sent["SignName"], sent["TemplateId"]) == ("1400000000", "微邻里", "1234567")
    code = sent["TemplateParamSet"][0]
    assert len(code) == 6
    assert code.isdigit()

    wrong = await client.post(
        "/api/v1/auth/register", json={**body, "sms_code": f"{(int(code) + 1) % 10**6:06d}"}
    )
    assert wrong.json()["code"] == "sms_code_invalid"
    registered = await client.post("/api/v1/auth/register", json={**body, "sms_code": code})
    assert registered.status_code == 201, registered.text
    # No catcher outside the development environment's provider: /dev/sms shows nothing sent here.
    assert (await client.get("/dev/sms", params={"phone": phone})).json()["items"] == []


async def test_a_refused_signature_is_a_503_not_a_sent_code(
    tencent_gateway: tuple[httpx.AsyncClient, list[dict[str, Any]], Any],
) -> None:
    _client, received, settings = tencent_gateway
    # The same gateway, another provider client with a wrong key: the server refuses the signature.
    import aiohttp

    from gateway.adapters.sms import Sms, TencentSms
    from servicekit.domain import DomainError

    async with aiohttp.ClientSession() as session:
        wrong_key = TencentSms(
            session=session,
            endpoint=settings.sms_tencent_endpoint,
            secret_id=SECRET_ID,
            secret_key="not-the-key",
            region="ap-guangzhou",
            sdk_app_id="1400000000",
            sign_name="微邻里",
            template_id="1234567",
            timeout_seconds=5,
        )
        with pytest.raises(DomainError) as refused:
            await wrong_key.send(Sms("13612345679", "x", "123456", "register", datetime.now(UTC)))
    assert refused.value.code == "sms_unavailable"
    assert received == []
