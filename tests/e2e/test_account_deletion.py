"""Account deletion (注销, PIPL) through the whole stack: the person's data is gone from all four
databases (queried directly), what accounting and the discussion need stays without the person."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
from sqlalchemy import text

from gateway.cli import run_command
from gateway.config import Settings as GatewaySettings
from servicekit.stack import Stack
from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of
from tests.errand.helpers import place

PASSWORD = "resident-pass-1"


async def _sql(stack: Stack, service: str, query: str, **params: Any) -> list[Any]:
    async with stack.apps[service].state.runtime.uow() as uow:
        return list((await uow.session.execute(text(query), params)).all())


async def _eventually(check: Any, what: str, attempts: int = 300) -> None:
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_deletion_erases_the_person_in_every_database(namespace: str) -> None:
    signer = TokenSigner.generate()
    overrides: dict[str, dict[str, object]] = {
        "gateway": {
            "rate_limit_enabled": False,
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 8192,
        },
        "errand": {"redis_key_prefix": f"wltest:{namespace}:errand"},
        "forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_enabled": False},
        "reports": {"jobs_enabled": False},
    }
    async with stack_of(
        ["errand", "reports", "forum", "gateway"], namespace=namespace, signer=signer, overrides=overrides
    ) as stack:
        settings = stack.settings["gateway"]
        assert isinstance(settings, GatewaySettings)
        await run_command(
            ["create-admin", "--phone", "13900000004", "--password", "admin-pass-123"], settings
        )
        async with httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=30) as gw:
            admin_login = await gw.post(
                "/api/v1/auth/login", json={"phone": "13900000004", "password": "admin-pass-123"}
            )
            admin = {"Authorization": f"Bearer {admin_login.json()['access_token']}"}
            phone = f"135{uuid.uuid4().int % 10**8:08d}"
            created = await gw.post(
                "/api/v1/auth/register",
                json={
                    "phone": phone,
                    "password": PASSWORD,
                    "display_name": "吕女士",
                    "community_code": "default",
                },
            )
            assert created.status_code == 201, created.text
            user_id = created.json()["id"]

            async def sign_in() -> dict[str, str]:
                tokens = await gw.post("/api/v1/auth/login", json={"phone": phone, "password": PASSWORD})
                assert tokens.status_code == 200, tokens.text
                return {"Authorization": f"Bearer {tokens.json()['access_token']}"}

            me = await sign_in()
            # A verified household (gateway, errand and forum learn it).
            building = await gw.post("/api/v1/community/buildings", json={"name": "3"}, headers=admin)
            household = await gw.post(
                "/api/v1/community/households",
                json={"building_id": building.json()["id"], "unit": "2", "room": "501"},
                headers=admin,
            )
            claim = await gw.post(
                "/api/v1/me/household-claims",
                json={"household_id": household.json()["id"], "real_name": "吕秀兰"},
                headers=me,
            )
            decided = await gw.post(
                f"/api/v1/community/household-claims/{claim.json()['id']}/decision",
                json={"decision": "approve"},
                headers=admin,
            )
            assert decided.status_code == 200, decided.text
            me = await sign_in()

            async def known_everywhere() -> bool:
                errand = await _sql(
                    stack, "errand", "SELECT 1 FROM resident_households WHERE user_id = :u", u=user_id
                )
                forum = await _sql(stack, "forum", "SELECT 1 FROM households WHERE user_id = :u", u=user_id)
                return bool(errand and forum)

            await _eventually(known_everywhere, "the household known to errand and forum")

            dropoff = place("3", -100, unit="2", room="501", contact_name="吕女士", contact_phone=phone)
            quote = await gw.post(
                "/api/v1/errand/quotes",
                json={"type": "deliver", "pickup": place("5", 100), "dropoff": dropoff},
                headers=me,
            )
            assert quote.status_code == 201, quote.text
            order = await gw.post(
                "/api/v1/errand/orders",
                json={"quote_id": quote.json()["quote_id"], "note": "给我妈妈"},
                headers=me,
            )
            assert order.status_code == 201, order.text
            report = await gw.post(
                "/api/v1/reports",
                json={
                    "category": "lifts",
                    "location": {"building": "3", "unit": "2", "room": "501"},
                    "description": "电梯坏了",
                },
                headers=me,
            )
            assert report.status_code == 201, report.text
            thread = await gw.post(
                "/api/v1/forum/threads",
                json={"board": "mutual_help", "title": "你好", "body": "大家好"},
                headers=me,
            )
            assert thread.status_code == 201, thread.text

            refused = await gw.request(
                "DELETE", "/api/v1/me", json={"password": "wrong-password"}, headers=me
            )
            assert refused.status_code == 403
            assert (await _sql(stack, "gateway", "SELECT phone FROM users WHERE id = :u", u=user_id)) == [
                (phone,)
            ]

            deleted = await gw.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=me)
            assert deleted.status_code == 202, deleted.text
            login = await gw.post("/api/v1/auth/login", json={"phone": phone, "password": PASSWORD})
            assert login.status_code == 401

            # Gateway: the account names nobody.
            row = (
                await _sql(
                    stack,
                    "gateway",
                    "SELECT phone, wechat_openid, password_hash, display_name, real_name, household_id "
                    "FROM users WHERE id = :u",
                    u=user_id,
                )
            )[0]
            assert tuple(row) == (None, None, None, "已注销用户", None, None)
            assert (
                await _sql(stack, "gateway", "SELECT 1 FROM role_grants WHERE user_id = :u", u=user_id) == []
            )
            claims = await _sql(
                stack, "gateway", "SELECT real_name FROM household_claims WHERE user_id = :u", u=user_id
            )
            assert claims == [("已注销用户",)]

            async def erased_everywhere() -> bool:
                orders = await _sql(
                    stack,
                    "errand",
                    "SELECT dropoff::text, note, price_fen FROM orders WHERE requester_id = :u",
                    u=user_id,
                )
                reports = await _sql(
                    stack, "reports", "SELECT room FROM reports WHERE id = :r", r=report.json()["id"]
                )
                forum_households = await _sql(
                    stack, "forum", "SELECT 1 FROM households WHERE user_id = :u", u=user_id
                )
                return bool(
                    orders
                    and phone not in orders[0][0]
                    and reports
                    and reports[0][0] is None
                    and not forum_households
                )

            await _eventually(erased_everywhere, "the person erased in errand, reports and forum")
            # Errand: the order's money stays, without address or phone.
            dropoff_now, note, price = (
                await _sql(
                    stack,
                    "errand",
                    "SELECT dropoff::text, note, price_fen FROM orders WHERE requester_id = :u",
                    u=user_id,
                )
            )[0]
            assert set(json.loads(dropoff_now)) == {"building", "lat", "lng"}
            assert note is None
            assert price > 0
            assert (
                await _sql(stack, "errand", "SELECT 1 FROM resident_households WHERE user_id = :u", u=user_id)
                == []
            )
            # Reports: the repair record stays, the reporter is nobody.
            assert (
                await _sql(
                    stack,
                    "reports",
                    "SELECT reporter_id, unit, room, description FROM reports WHERE id = :r",
                    r=report.json()["id"],
                )
            ) == [(None, None, None, "电梯坏了")]
            # Forum: the post's text stays; its author is shown as deleted.
            assert (await _sql(stack, "forum", "SELECT body FROM posts WHERE author_id = :u", u=user_id)) == [
                ("大家好",)
            ]
            names = await _sql(
                stack, "forum", "SELECT display_name FROM people WHERE user_id = :u", u=user_id
            )
            assert names == [("已注销用户",)]
            assert (
                await _sql(stack, "reports", "SELECT display_name FROM people WHERE user_id = :u", u=user_id)
            ) in ([], [("已注销用户",)])
