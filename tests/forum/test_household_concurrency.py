"""50 accounts of one household supporting and voting at the same moment count once; a second
household counts separately. Real uvicorn server, real concurrent HTTP requests."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from contracts import DeliberationStateChangedV1, HouseholdVerifiedV1
from forum.config import Settings
from tests.e2e.stack import stack_of
from tests.forum.helpers import SIGNER, EventTap, eventually, person, publish

ACCOUNTS = 50


async def test_one_household_counts_once_however_many_accounts_race(namespace: str) -> None:
    overrides = {"forum": {"redis_prefix": f"wltest:{namespace}:forum:", "jobs_enabled": False, "quorum": 2}}
    async with stack_of(["forum"], namespace=namespace, signer=SIGNER, overrides=overrides) as stack:
        settings = stack.settings["forum"]
        assert isinstance(settings, Settings)
        base = stack.urls["forum"]
        community = uuid.uuid4()
        house_a, house_b = uuid.uuid4(), uuid.uuid4()
        family_a = [person(community, household_id=house_a) for _ in range(ACCOUNTS)]
        family_b = [person(community, household_id=house_b) for _ in range(5)]
        await publish(
            settings,
            *(
                HouseholdVerifiedV1(
                    community_id=community,
                    household_id=p.household_id or house_a,
                    user_id=p.id,
                    building="3号楼",
                    unit="2",
                    room="301" if p.household_id == house_a else "302",
                    elderly_alone=False,
                )
                for p in family_a + family_b
            ),
        )
        committee = person(community, "committee")
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

            async def all_known() -> bool:
                last = await client.get("/api/v1/forum/me", headers=(family_a + family_b)[-1].headers)
                first = await client.get("/api/v1/forum/me", headers=family_a[0].headers)
                return bool(last.json()["household_id"] and first.json()["household_id"])

            await eventually(all_known, what="households projected")
            await asyncio.sleep(0.3)
            policy = {"support_threshold": 2, "window_days": 14, "quorum_households": 2, "pass_ratio": 0.5}
            set_policy = await client.put("/api/v1/forum/policy", json=policy, headers=committee.headers)
            assert set_policy.status_code == 200, set_policy.text
            created = await client.post(
                "/api/v1/forum/deliberations",
                json={"title": "楼下装充电桩", "body": "解决飞线充电"},
                headers=family_a[0].headers,
            )
            url = f"/api/v1/forum/deliberations/{created.json()['id']}"
            async with EventTap(settings, DeliberationStateChangedV1.event_type) as tap:
                supports = await asyncio.gather(
                    *(client.post(f"{url}/supports", headers=p.headers) for p in family_a)
                )
                # One account of the household is counted; every other one is told so (409).
                assert sorted(r.status_code for r in supports) == [200] + [409] * (ACCOUNTS - 1)
                assert {r.json()["code"] for r in supports if r.status_code == 409} == {
                    "household_already_counted"
                }
                after_a = (await client.get(url, headers=committee.headers)).json()
                assert after_a["household_supports"] == 1
                assert after_a["state"] == "collecting"

                supports_b = await asyncio.gather(
                    *(client.post(f"{url}/supports", headers=p.headers) for p in family_b)
                )
                assert {r.status_code for r in supports_b} <= {200, 409}
                after_b = (await client.get(url, headers=committee.headers)).json()
                assert after_b["household_supports"] == 2
                assert after_b["state"] == "screening"

                await client.post(f"{url}/screening", json={"decision": "accept"}, headers=committee.headers)
                await client.post(
                    f"{url}/minutes",
                    json={"attendees": ["业委会"], "conclusion": "表决", "next": "voting"},
                    headers=committee.headers,
                )
                votes = await asyncio.gather(
                    *(
                        client.post(f"{url}/votes", json={"choice": "yes"}, headers=p.headers)
                        for p in family_a
                    ),
                    *(
                        client.post(f"{url}/votes", json={"choice": "no"}, headers=p.headers)
                        for p in family_b
                    ),
                )
                assert sorted(r.status_code for r in votes) == [200, 200] + [409] * (ACCOUNTS + 5 - 2)
                tallied = (await client.get(url, headers=committee.headers)).json()
                assert tallied["votes"] == {"yes": 1, "no": 1, "abstain": 0}

                async def screening_seen() -> bool:
                    return any(
                        e.payload["to_state"] == "voting"
                        for e in tap.of(DeliberationStateChangedV1.event_type)
                    )

                await eventually(screening_seen, what="state events")
            screenings = [
                e
                for e in tap.of(DeliberationStateChangedV1.event_type)
                if e.payload["to_state"] == "screening"
            ]
            assert len(screenings) == 1  # the threshold was crossed once
