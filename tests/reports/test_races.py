"""Races with real concurrency on a real server: many staff grabbing one report at once, and one
staff member grabbing more reports at once than the per-staff cap allows."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

import reports.main
from reports.config import Settings
from servicekit.db import asyncpg_dsn
from servicekit.stack import ServiceSpec, running_stack
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner


@dataclass
class Server:
    url: str
    database_url: str
    signer: TokenSigner
    cap: int


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[Server]:
    signer = TokenSigner.generate()
    spec = ServiceSpec("reports", Settings, reports.main.create_app, reports.main.MIGRATIONS)
    async with running_stack([spec], namespace=new_namespace(), public_key_pem=signer.public_pem) as stack:
        settings = stack.settings["reports"]
        assert isinstance(settings, Settings)
        yield Server(
            stack.urls["reports"],
            settings.database_url.get_secret_value(),
            signer,
            settings.max_open_jobs_per_staff,
        )


def bearer(server: Server, community: uuid.UUID, user: uuid.UUID, *roles: str) -> dict[str, str]:
    token = server.signer.sign(user_id=user, community_id=community, roles=roles, building="3")
    return {"Authorization": f"Bearer {token}"}


async def add_staff(server: Server, community: uuid.UUID, role: str, count: int) -> list[uuid.UUID]:
    """The staff projection, as gateway.role.granted.v1 would have filled it."""
    users = [uuid.uuid4() for _ in range(count)]
    conn = await asyncpg.connect(asyncpg_dsn(server.database_url))
    try:
        await conn.executemany(
            "INSERT INTO staff (community_id, user_id, role, department) VALUES ($1, $2, $3, 'property')",
            [(community, user, role) for user in users],
        )
    finally:
        await conn.close()
    return users


async def accepted_reports(
    server: Server, client: httpx.AsyncClient, community: uuid.UUID, n: int
) -> list[str]:
    resident = bearer(server, community, uuid.uuid4(), "resident")
    [manager] = await add_staff(server, community, "property_manager", 1)
    manager_headers = bearer(server, community, manager, "property_manager")
    ids = []
    for _ in range(n):
        created = await client.post(
            "/api/v1/reports",
            json={
                "category": "sanitation",
                "location": {"building": "3"},
                "description": "garbage piling up",
            },
            headers=resident,
        )
        rid = created.json()["id"]
        assert (
            await client.post(f"/api/v1/reports/{rid}/accept", headers=manager_headers)
        ).status_code == 200
        ids.append(rid)
    return ids


async def test_twenty_staff_grab_one_report_at_once(server: Server) -> None:
    community = uuid.uuid4()
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        [rid] = await accepted_reports(server, client, community, 1)
        staff = await add_staff(server, community, "property_staff", 20)
        responses = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/reports/{rid}/grab", headers=bearer(server, community, user, "property_staff")
                )
                for user in staff
            )
        )
        statuses = Counter(response.status_code for response in responses)
        assert statuses == {200: 1, 409: 19}
        winner = next(response for response in responses if response.status_code == 200).json()["assignee_id"]
        detail = await client.get(
            f"/api/v1/reports/{rid}", headers=bearer(server, community, uuid.UUID(winner), "property_staff")
        )
    assert detail.json()["assignee_id"] == winner
    assert [t["action"] for t in detail.json()["timeline"]].count("grab") == 1


async def test_one_staff_grabbing_past_the_cap_at_once(server: Server) -> None:
    community = uuid.uuid4()
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        ids = await accepted_reports(server, client, community, server.cap + 4)
        [worker] = await add_staff(server, community, "property_staff", 1)
        headers = bearer(server, community, worker, "property_staff")
        responses = await asyncio.gather(
            *(client.post(f"/api/v1/reports/{rid}/grab", headers=headers) for rid in ids)
        )
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: server.cap, 409: 4}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"staff_at_capacity"}
