"""The demo community of the first run (issue 12, API.md "First run"), seeded on the real stack at a
small scale: it is made through the services' use cases (its events arrive in the others) over six
months of the services' development clock (servicekit.clock), the demo logins work, and a second run
adds nothing."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from servicekit.tokens import TokenSigner
from tests.e2e.stack import stack_of

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "seed_demo.py"


def load_seeder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seed_demo", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["seed_demo"] = module
    spec.loader.exec_module(module)
    return module


async def eventually(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.5)


async def login(gw: httpx.AsyncClient, phone: str, password: str) -> dict[str, str]:
    response = await gw.post("/api/v1/auth/login", json={"phone": phone, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.slow
async def test_the_demo_community_is_seeded_through_the_services_once(namespace: str, tmp_path: Path) -> None:
    seeder = load_seeder()
    signer = TokenSigner.generate()
    secret = f"seeding-{namespace}"  # what `dev.py run` generates for its services and the seeder
    overrides: dict[str, dict[str, object]] = {
        # The hotspot job runs every few seconds here instead of every five minutes, the SLA watch
        # every two seconds instead of every minute.
        "forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_interval_seconds": 2.0},
        "reports": {"job_interval_seconds": 2.0},
        "errand": {},
        "gateway": {"password_hash_time_cost": 1, "password_hash_memory_kib": 8192},
    }
    for values in overrides.values():
        values["demo_time_secret"] = secret
    async with (
        stack_of(
            ["errand", "reports", "forum", "gateway"], namespace=namespace, signer=signer, overrides=overrides
        ) as stack,
        httpx.AsyncClient(base_url=stack.urls["gateway"], timeout=30) as gw,
    ):
        settings = stack.settings["gateway"]
        lines: list[str] = []
        journal = tmp_path / "demo-seed.jsonl"

        async def seed(**extra: Any) -> Any:
            return await seeder.seed_demo(
                stack.urls["gateway"],
                settings,
                scale=0.04,
                say=lines.append,
                demo_secret=secret,
                journal_path=journal,
                **extra,
            )

        # A run stopped halfway through the history (after the setup, within the strands) ...
        with pytest.raises(seeder.SeedInterrupted):
            await seed(stop_after=150)
        await asyncio.sleep(1)  # the strands' requests in flight end
        # ... is resumed by the next one, which makes each part of the history once.
        result = await seed()
        assert result.created, result.message
        assert any("resuming" in line for line in lines), lines
        logins = seeder.login_lines(result)
        roles = {line.split()[1] for line in logins}
        for role in (
            "admin",
            "committee",
            "property_manager",
            "property_staff",
            "mediator",
            "courier",
            "resident",
        ):
            assert f"role={role}" in roles, logins
        assert all(line.startswith("demo-login role=") and " password=" in line for line in logins)
        by_role = {a.role: a for a in reversed(result.logins)}
        counts = result.counts
        assert counts["buildings"] == 18
        assert counts["households"] >= 100

        # The gateway: the community `demo` and its directory.
        admin = await login(gw, by_role["admin"].phone, seeder.DEMO_PASSWORD)
        communities = (await gw.get("/api/v1/community/communities", headers=admin)).json()
        assert [c["code"] for c in communities] == ["demo"]
        buildings = (await gw.get("/api/v1/community/buildings", headers=admin)).json()
        assert len(buildings) == 18

        # Registration without a code joins `demo`, the only community.
        joined = await gw.post(
            "/api/v1/auth/register",
            json={"phone": "13912345678", "password": "new-neighbour", "display_name": "新邻居"},
        )
        assert joined.status_code == 201, joined.text
        assert joined.json()["community_id"] == str(communities[0]["id"])

        # A property manager's queue has reports (reports knows the seeded staff and people).
        manager = result.logins[[a.role for a in result.logins].index("property_manager")]
        manager_headers = await login(gw, manager.phone, seeder.DEMO_PASSWORD)
        queue = await gw.get("/api/v1/reports?scope=queue", headers=manager_headers)
        assert queue.status_code == 200, queue.text
        assert queue.json()["items"], queue.json()

        # Six months of history: reports submitted over at least five months, their statistics
        # (time to accept p50/p90) per month, breaches on record, and overdue ones in the queue as
        # soon as the SLA watch has run once.
        now = datetime.now(UTC)
        stats = await gw.get(
            "/api/v1/reports/stats",
            params={"since": (now - timedelta(days=200)).isoformat()},
            headers=manager_headers,
        )
        assert stats.status_code == 200, stats.text
        months = [m for m in stats.json()["by_month"] if m["count"]]
        planned = sum(v for k, v in result.counts.items() if k.startswith("reports_"))
        assert sum(m["count"] for m in months) == planned  # none made twice by the resumed run
        assert len(months) >= 5, months
        assert (
            sum(m["accept_p50_seconds"] is not None and m["accept_p90_seconds"] is not None for m in months)
            >= 3
        )
        assert any(m["sla_breach_rate"] for m in months), months

        async def overdue() -> Any:
            found = await gw.get("/api/v1/reports?scope=queue&overdue=true", headers=manager_headers)
            return found.json()["items"]

        late = await eventually(overdue, "the SLA watch to flag the overdue reports", timeout=30)
        assert all(datetime.fromisoformat(r["submitted_at"]) < now - timedelta(hours=1) for r in late)

        # The lead courier has orders (history, and open ones in the feed).
        courier = by_role["courier"]
        courier_headers = await login(
            gw, result.logins[[a.role for a in result.logins].index("courier")].phone, seeder.DEMO_PASSWORD
        )
        mine = (await gw.get("/api/v1/errand/orders?as=courier", headers=courier_headers)).json()
        assert mine["items"], mine
        # The lead courier's finished orders go back months.
        oldest = min(datetime.fromisoformat(o["created_at"]) for o in mine["items"])
        assert oldest < datetime.now(UTC) - timedelta(days=30), mine["items"]
        await gw.put(
            "/api/v1/errand/courier/presence",
            json={"online": True, "lat": seeder.CENTER[0], "lng": seeder.CENTER[1]},
            headers=courier_headers,
        )
        feed = (await gw.get("/api/v1/errand/courier/feed", headers=courier_headers)).json()
        assert feed["items"], feed
        assert courier.phone

        # The forum found building 7's lift burst from the seeded posts (forum.post.created.v1).
        committee = await login(gw, by_role["committee"].phone, seeder.DEMO_PASSWORD)

        async def hotspot() -> Any:
            found = (await gw.get("/api/v1/forum/hotspots", headers=committee)).json()
            items = found["items"] if isinstance(found, dict) else found
            return [h for h in items if h.get("building") == "7"]

        spots = await eventually(hotspot, "the lift hotspot in building 7")
        assert len(spots[0]["evidence_post_ids"]) >= 5, spots

        # A second run adds nothing.
        again = await seed()
        assert not again.created
        assert "already exists" in again.message
        assert len((await gw.get("/api/v1/community/communities", headers=admin)).json()) == 1
        assert len((await gw.get("/api/v1/community/buildings", headers=admin)).json()) == 18
        after = (await gw.get("/api/v1/errand/orders?as=courier", headers=courier_headers)).json()
        assert [o["id"] for o in after["items"]] == [o["id"] for o in mine["items"]]
        queue_after = await gw.get("/api/v1/reports?scope=queue", headers=manager_headers)
        assert len(queue_after.json()["items"]) == len(queue.json()["items"])
