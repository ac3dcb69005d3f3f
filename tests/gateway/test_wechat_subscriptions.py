"""WeChat subscription messages (订阅消息) against a local server speaking WeChat's protocol:
`POST /cgi-bin/stable_token` for the access token and `POST /cgi-bin/message/subscribe/send
?access_token=` for the message (errors as `errcode`/`errmsg` with HTTP 200).

A user who signed in with WeChat records the templates they accepted; a notification for them
goes out once per grant, in their language; the token is cached and fetched again when WeChat
says it expired (42001); 43101 (refused) spends the grant; WeChat busy is retried; a redelivered
event sends nothing twice; no grant, no message."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import Request, Response
from sqlalchemy import select

from gateway.adapters.tables import wechat_messages
from gateway.cli import run_command
from gateway.config import Settings
from servicekit.stack import Stack
from tests.gateway.helpers import (
    WECHAT_APPID,
    WECHAT_SECRET,
    fake_wechat,
    order_accepted,
    publish,
    publish_envelopes,
    running_gateway,
    serve_app,
)
from tests.gateway.test_wechat import SIGNER

TEMPLATE_ORDER, TEMPLATE_REPORT = "tmpl-order-progress", "tmpl-report-progress"
TEMPLATES = {
    "errand.order.accepted.v1": {
        "template_id": TEMPLATE_ORDER,
        "fields": {"thing1": "title", "thing2": "body", "time3": "time"},
    },
    "reports.report.status_changed.v1": {"template_id": TEMPLATE_REPORT, "fields": {"thing1": "title"}},
}


@dataclass
class FakeWeChat:
    """What the fake WeChat saw and how it behaves."""

    tokens_issued: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    refused_openids: set[str] = field(default_factory=set)
    busy_answers: int = 0
    expire_token: bool = False
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def app(self) -> Any:
        app = fake_wechat()

        @app.post("/cgi-bin/stable_token")
        async def stable_token(request: Request) -> Response:
            body = await request.json()
            if (body.get("appid"), body.get("secret")) != (WECHAT_APPID, WECHAT_SECRET):
                return _json({"errcode": 40013, "errmsg": "invalid appid"})
            if body.get("grant_type") != "client_credential":
                return _json({"errcode": 40002, "errmsg": "invalid grant_type"})
            if not self.tokens_issued or body.get("force_refresh"):
                self.tokens_issued.append(f"token-{next(self.counter)}")
            return _json({"access_token": self.tokens_issued[-1], "expires_in": 7200})

        @app.post("/cgi-bin/message/subscribe/send")
        async def send(request: Request, access_token: str) -> Response:
            body = await request.json()
            if self.expire_token:
                self.expire_token = False
                return _json({"errcode": 42001, "errmsg": "access_token expired"})
            if not self.tokens_issued or access_token != self.tokens_issued[-1]:
                return _json({"errcode": 40001, "errmsg": "invalid credential"})
            if self.busy_answers:
                self.busy_answers -= 1
                return _json({"errcode": -1, "errmsg": "system error"})
            if body.get("touser") in self.refused_openids:
                return _json({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
            missing = {"touser", "template_id", "data"} - set(body)
            if missing:
                return _json({"errcode": 47003, "errmsg": f"argument invalid! {sorted(missing)}"})
            self.sent.append(body)
            return _json({"errcode": 0, "errmsg": "ok"})

        return app


def _json(body: dict[str, Any]) -> Response:
    import json

    return Response(json.dumps(body), media_type="text/plain")  # WeChat labels JSON text/plain


@dataclass
class Env:
    url: str
    stack: Stack
    wechat: FakeWeChat
    settings: Settings
    community_id: uuid.UUID


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[Env]:
    wechat = FakeWeChat()
    async with (
        serve_app(wechat.app()) as wechat_url,
        running_gateway(
            uuid.uuid4().hex[:12],
            SIGNER,
            wechat_api_base_url=wechat_url,
            wechat_appid=WECHAT_APPID,
            wechat_secret=WECHAT_SECRET,
            wechat_subscribe_templates=TEMPLATES,
            wechat_push_poll_seconds=0.05,
        ) as (url, stack),
    ):
        settings = stack.settings["gateway"]
        assert isinstance(settings, Settings)
        await run_command(
            ["create-admin", "--phone", "13900000003", "--password", "wechat-admin-1"], settings
        )
        async with httpx.AsyncClient(base_url=url) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"phone": "13900000003", "password": "wechat-admin-1"}
            )
            me = await client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
            )
        yield Env(url, stack, wechat, settings, uuid.UUID(me.json()["community_id"]))


async def _wechat_user(
    client: httpx.AsyncClient, locale: str = "zh-CN"
) -> tuple[str, dict[str, str], uuid.UUID]:
    openid = f"o-{uuid.uuid4().hex}"
    signed_in = await client.post("/api/v1/auth/wechat", json={"code": f"ok-{openid}"})
    assert signed_in.status_code == 200, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    patched = await client.patch("/api/v1/me", json={"locale": locale}, headers=headers)
    assert patched.status_code == 200, patched.text
    return openid, headers, uuid.UUID(patched.json()["id"])


async def _eventually(check: Any, what: str) -> None:
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def _statuses(env: Env, user_id: uuid.UUID) -> list[str]:
    async with env.stack.apps["gateway"].state.runtime.uow() as uow:
        rows = await uow.session.execute(
            select(wechat_messages.c.status)
            .where(wechat_messages.c.user_id == user_id)
            .order_by(wechat_messages.c.created_at)
        )
        return [row.status for row in rows]


async def test_a_subscribed_user_gets_each_granted_notification_once_in_their_language(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as client:
        openid, headers, user_id = await _wechat_user(client, locale="en")
        offered = (await client.get("/api/v1/me/wechat-subscriptions", headers=headers)).json()["items"]
        assert {item["template_id"]: item["remaining"] for item in offered} == {
            TEMPLATE_ORDER: 0,
            TEMPLATE_REPORT: 0,
        }
        # Accepted twice in the mini-program: two one-shot grants.
        for _ in range(2):
            granted = await client.post(
                "/api/v1/me/wechat-subscriptions", json={"template_ids": [TEMPLATE_ORDER]}, headers=headers
            )
            assert granted.status_code == 200, granted.text
        assert {i["template_id"]: i["remaining"] for i in granted.json()["items"]}[TEMPLATE_ORDER] == 2
        unknown = await client.post(
            "/api/v1/me/wechat-subscriptions", json={"template_ids": ["nope"]}, headers=headers
        )
        assert (unknown.status_code, unknown.json()["code"]) == (422, "wechat_template_unknown")

        first = order_accepted(env.community_id, user_id)
        [envelope] = await publish(
            env.settings.amqp_url.get_secret_value(), env.settings.events_exchange, first
        )
        await publish_envelopes(  # redelivered: the same event again
            env.settings.amqp_url.get_secret_value(), env.settings.events_exchange, envelope
        )

        async def sent_once() -> bool:
            return len([m for m in env.wechat.sent if m["touser"] == openid]) >= 1

        await _eventually(sent_once, "the subscription message")
        await asyncio.sleep(0.5)  # what a double would need to show up
        [message] = [m for m in env.wechat.sent if m["touser"] == openid]
        assert message["template_id"] == TEMPLATE_ORDER
        assert message["lang"] == "en_US"
        [told] = (await client.get("/api/v1/me/notifications", headers=headers)).json()["items"]
        for key, text in (("thing1", told["title"]), ("thing2", told["body"])):
            assert message["data"][key]["value"] == (text if len(text) <= 20 else text[:19] + "…")
        assert told["title"].isascii()  # in English, the user's language
        assert message["data"]["time3"]["value"][:2] == "20"
        assert message["page"].startswith("pages/notifications/index?id=")
        assert await _statuses(env, user_id) == ["sent"]

        # One grant spent, one left.
        left = (await client.get("/api/v1/me/wechat-subscriptions", headers=headers)).json()["items"]
        assert {i["template_id"]: i["remaining"] for i in left}[TEMPLATE_ORDER] == 1

        # WeChat says the cached token expired: a fresh one is fetched and the message goes out.
        env.wechat.expire_token = True
        tokens_before = len(env.wechat.tokens_issued)
        await publish(
            env.settings.amqp_url.get_secret_value(),
            env.settings.events_exchange,
            order_accepted(env.community_id, user_id),
        )

        async def sent_twice() -> bool:
            return len([m for m in env.wechat.sent if m["touser"] == openid]) == 2

        await _eventually(sent_twice, "the second message after a token refresh")
        assert len(env.wechat.tokens_issued) == tokens_before + 1

        # No grant left: the third notification is kept in the inbox, no message goes out.
        await publish(
            env.settings.amqp_url.get_secret_value(),
            env.settings.events_exchange,
            order_accepted(env.community_id, user_id),
        )

        async def three_in_inbox() -> bool:
            inbox = (await client.get("/api/v1/me/notifications", headers=headers)).json()["items"]
            return len(inbox) == 3

        await _eventually(three_in_inbox, "three notifications")
        await asyncio.sleep(0.3)
        assert len([m for m in env.wechat.sent if m["touser"] == openid]) == 2
        assert await _statuses(env, user_id) == ["sent", "sent"]


async def test_refusal_spends_the_grant_and_busy_is_retried(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as client:
        refuser, headers, refuser_id = await _wechat_user(client)
        await client.post(
            "/api/v1/me/wechat-subscriptions", json={"template_ids": [TEMPLATE_ORDER] * 2}, headers=headers
        )
        await client.post(
            "/api/v1/me/wechat-subscriptions", json={"template_ids": [TEMPLATE_ORDER]}, headers=headers
        )
        env.wechat.refused_openids.add(refuser)
        await publish(
            env.settings.amqp_url.get_secret_value(),
            env.settings.events_exchange,
            order_accepted(env.community_id, refuser_id),
        )

        async def refused() -> bool:
            return await _statuses(env, refuser_id) == ["refused"]

        await _eventually(refused, "the refusal recorded")
        left = (await client.get("/api/v1/me/wechat-subscriptions", headers=headers)).json()["items"]
        assert {i["template_id"]: i["remaining"] for i in left}[TEMPLATE_ORDER] == 0

        patient, headers, patient_id = await _wechat_user(client)
        await client.post(
            "/api/v1/me/wechat-subscriptions", json={"template_ids": [TEMPLATE_ORDER]}, headers=headers
        )
        env.wechat.busy_answers = 1
        await publish(
            env.settings.amqp_url.get_secret_value(),
            env.settings.events_exchange,
            order_accepted(env.community_id, patient_id),
        )

        async def delivered() -> bool:
            return any(m["touser"] == patient for m in env.wechat.sent)

        await _eventually(delivered, "the message after WeChat was busy once")
        async with env.stack.apps["gateway"].state.runtime.uow() as uow:
            attempts = await uow.session.scalar(
                select(wechat_messages.c.attempts).where(wechat_messages.c.user_id == patient_id)
            )
        assert attempts == 1


async def test_only_wechat_accounts_subscribe(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"phone": "13900000003", "password": "wechat-admin-1"}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}", "Accept-Language": "en"}
        refused = await client.post(
            "/api/v1/me/wechat-subscriptions", json={"template_ids": [TEMPLATE_ORDER]}, headers=headers
        )
    assert (refused.status_code, refused.json()["code"]) == (409, "wechat_not_linked")
