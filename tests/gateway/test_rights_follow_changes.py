"""Rights follow changes at once (docs/contract.md): within 5 s of a grant, a revocation, a household
approval or an account deletion, requests through the gateway act with the new rights on the
access token the client already holds. Real gateway, errand and forum servers."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from gateway.cli import run_command
from gateway.config import Settings as GatewaySettings
from servicekit.stack import Stack
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of
from tests.errand.helpers import offset, quote_body

ADMIN_PHONE = "13900000002"
ADMIN_PASSWORD = "admin-pass-123"
PASSWORD = "resident-pass-1"
# The contract's bound: the new rights apply within this many seconds of the change.
BOUND_SECONDS = 5.0


@dataclass
class World:
    stack: Stack
    client: httpx.AsyncClient
    admin: dict[str, str]

    async def resident(self) -> tuple[str, dict[str, str]]:
        phone = f"136{uuid.uuid4().int % 10**8:08d}"
        created = await self.client.post(
            "/api/v1/auth/register",
            json={"phone": phone, "password": PASSWORD, "display_name": "居民", "community_code": "default"},
        )
        assert created.status_code == 201, created.text
        tokens = await self.client.post("/api/v1/auth/login", json={"phone": phone, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        return created.json()["id"], {"Authorization": f"Bearer {tokens.json()['access_token']}"}


async def within_bound(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """The check holds within the contract's bound of the change (polled, not timed per call)."""
    deadline = time.monotonic() + BOUND_SECONDS
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {BOUND_SECONDS} s: {what}")
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    namespace = new_namespace()
    signer = TokenSigner.generate()
    overrides: dict[str, dict[str, object]] = {
        "gateway": {
            "rate_limit_enabled": False,
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 8192,
        },
        "errand": {"redis_key_prefix": f"wltest:{namespace}:errand"},
        "forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_enabled": False},
    }
    async with stack_of(
        ["errand", "forum", "gateway"], namespace=namespace, signer=signer, overrides=overrides
    ) as stack:
        settings = stack.settings["gateway"]
        assert isinstance(settings, GatewaySettings)
        await run_command(["create-admin", "--phone", ADMIN_PHONE, "--password", ADMIN_PASSWORD], settings)
        async with httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=30) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"phone": ADMIN_PHONE, "password": ADMIN_PASSWORD}
            )
            assert login.status_code == 200, login.text
            yield World(stack, client, {"Authorization": f"Bearer {login.json()['access_token']}"})


async def _order(world: World, requester: dict[str, str]) -> str:
    quote = await world.client.post("/api/v1/errand/quotes", json=quote_body(), headers=requester)
    assert quote.status_code == 201, quote.text
    order = await world.client.post(
        "/api/v1/errand/orders", json={"quote_id": quote.json()["quote_id"]}, headers=requester
    )
    assert order.status_code == 201, order.text
    return str(order.json()["id"])


async def test_a_courier_approved_then_revoked_acts_accordingly_on_one_token(world: World) -> None:
    client = world.client
    courier_id, courier = await world.resident()  # this token is the only one the courier uses
    _, requester = await world.resident()
    applied = await client.post(
        "/api/v1/me/courier-application",
        json={"real_name": "张三", "id_number_last4": "1234"},
        headers=courier,
    )
    assert applied.status_code == 201, applied.text
    approved = await client.post(
        f"/api/v1/community/courier-applications/{applied.json()['id']}/decision",
        json={"decision": "approve"},
        headers=world.admin,
    )
    assert approved.status_code == 200, approved.text
    lat, lng = offset(0.0)

    async def online() -> bool:
        answer = await client.put(
            "/api/v1/errand/courier/presence", json={"online": True, "lat": lat, "lng": lng}, headers=courier
        )
        return answer.status_code == 200

    await within_bound(online, "the approved courier goes online on the token issued before approval")
    first = await _order(world, requester)

    async def accepts() -> bool:
        return (
            await client.post(f"/api/v1/errand/orders/{first}/accept", headers=courier)
        ).status_code == 200

    await within_bound(accepts, "the approved courier accepts an order")

    revoked = await client.delete(f"/api/v1/admin/users/{courier_id}/roles/courier", headers=world.admin)
    assert revoked.status_code == 204, revoked.text
    second = await _order(world, requester)
    answers: list[httpx.Response] = []

    async def refused() -> bool:
        answer = await client.post(f"/api/v1/errand/orders/{second}/accept", headers=courier)
        answers.append(answer)
        return answer.status_code != 200 and answer.json().get("code") != "courier_not_verified"

    await within_bound(refused, "the revoked courier is refused as a non-courier")
    # Errand refuses a token without the courier role as it refuses any resident; the order stays open.
    assert answers[-1].status_code in (403, 404), answers[-1].text
    assert (await client.get("/api/v1/me", headers=courier)).json()["roles"] == ["resident"]


async def test_a_household_approval_reaches_the_forum_vote_on_the_old_token(world: World) -> None:
    client = world.client
    _, resident = await world.resident()
    building = await client.post(
        "/api/v1/community/buildings", json={"name": f"{uuid.uuid4().hex[:6]}号楼"}, headers=world.admin
    )
    assert building.status_code == 201, building.text
    household = await client.post(
        "/api/v1/community/households",
        json={"building_id": building.json()["id"], "unit": "1单元", "room": "301"},
        headers=world.admin,
    )
    assert household.status_code == 201, household.text
    claim = await client.post(
        "/api/v1/me/household-claims",
        json={"household_id": household.json()["id"], "real_name": "王秀英"},
        headers=resident,
    )
    assert claim.status_code == 201, claim.text

    _, proposer = await world.resident()
    topic = await client.post(
        "/api/v1/forum/deliberations", json={"title": "加装电梯", "body": "7号楼加装电梯"}, headers=proposer
    )
    assert topic.status_code == 201, topic.text
    supports = f"/api/v1/forum/deliberations/{topic.json()['id']}/supports"
    before = await client.post(supports, headers=resident)
    assert before.status_code == 403
    assert before.json()["code"] == "household_required"

    approved = await client.post(
        f"/api/v1/community/household-claims/{claim.json()['id']}/decision",
        json={"decision": "approve"},
        headers=world.admin,
    )
    assert approved.status_code == 200, approved.text

    async def supported() -> bool:
        return (await client.post(supports, headers=resident)).status_code == 200

    await within_bound(supported, "the verified household supports a topic on the token issued before")


async def test_a_deleted_account_is_refused_on_the_token_it_holds(world: World) -> None:
    client = world.client
    _, resident = await world.resident()
    assert (await client.get("/api/v1/forum/deliberations", headers=resident)).status_code == 200
    deleted = await client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=resident)
    assert deleted.status_code == 202, deleted.text

    async def refused() -> bool:
        answers = [
            await client.get("/api/v1/forum/deliberations", headers=resident),
            await client.get("/api/v1/errand/orders", headers=resident),
            await client.get("/api/v1/me", headers=resident),
        ]
        return all(a.status_code == 401 and a.json()["code"] == "account_deleted" for a in answers)

    await within_bound(refused, "a deleted account's token is refused everywhere")
