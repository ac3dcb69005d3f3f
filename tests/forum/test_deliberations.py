"""Deliberations (议事) through the API: households support, vote and rate once; minutes,
owner, milestones, progress; the window and overdue milestones by the job with a moved clock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from contracts import DeliberationStateChangedV1
from servicekit.testing import new_namespace
from tests.forum.helpers import (
    EventTap,
    Forum,
    Person,
    eventually,
    known_to_forum,
    person,
    running_forum,
    verify_households,
)

L = "/api/v1/forum/deliberations"


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[Forum]:
    async with running_forum(new_namespace()) as running:
        yield running


async def call(forum: Forum, who: Person, path: str, body: dict | None = None, status: int = 200) -> dict:  # type: ignore[type-arg]
    response = await forum.client.post(path, json=body, headers=who.headers)
    assert response.status_code == status, response.text
    return response.json()


async def households(forum: Forum, community: uuid.UUID, n: int, building: str = "3号楼") -> list[Person]:
    people = [person(community, household_id=uuid.uuid4()) for _ in range(n)]
    await verify_households(forum, people, building)
    return people


async def test_collect_deliberate_act_supervise_evaluate(forum: Forum) -> None:
    community = uuid.uuid4()
    committee, owner = person(community, "committee"), person(community, "property_manager")
    residents = await households(forum, community, 3)
    async with EventTap(forum.settings, DeliberationStateChangedV1.event_type) as tap:
        topic = await call(
            forum,
            residents[0],
            L,
            {"title": "3号楼加装电梯", "body": "老人上下楼不方便", "building": "3号楼"},
            201,
        )
        url = f"{L}/{topic['id']}"
        assert topic["state"] == "collecting"
        assert topic["support_threshold"] == 3
        unverified = await forum.client.post(f"{url}/supports", headers=person(community).headers)
        assert unverified.status_code == 403
        assert unverified.json()["code"] == "household_required"
        for resident in residents[:2]:
            assert (await call(forum, resident, f"{url}/supports"))["state"] == "collecting"
        screening = await call(forum, residents[2], f"{url}/supports")
        assert screening["state"] == "screening"
        assert screening["household_supports"] == 3

        assert (
            await forum.client.post(
                f"{url}/screening", json={"decision": "accept"}, headers=residents[0].headers
            )
        ).status_code == 403
        await call(forum, committee, f"{url}/screening", {"decision": "accept"})
        minutes = {"attendees": ["张三", "李四"], "conclusion": "同意加装，交业主表决", "next": "voting"}
        voting = await call(forum, committee, f"{url}/minutes", minutes)
        assert voting["state"] == "voting"
        assert voting["minutes"]["conclusion"] == "同意加装，交业主表决"
        for resident, choice in zip(residents, ["yes", "yes", "no"], strict=True):
            await call(forum, resident, f"{url}/votes", {"choice": choice})
        decided = await call(forum, committee, f"{url}/vote-result")
        assert decided["state"] == "decided"
        assert decided["votes"] == {"yes": 2, "no": 1, "abstain": 0}

        due = (forum.clock() + timedelta(days=10)).isoformat()
        await known_to_forum(forum, owner)
        acting = await call(
            forum,
            committee,
            f"{url}/acting",
            {"owner_id": str(owner.id), "milestones": [{"title": "设计方案", "due_at": due}]},
        )
        assert acting["state"] == "acting"
        assert acting["owner_id"] == str(owner.id)
        milestone = acting["milestones"][0]
        assert (
            await forum.client.post(f"{url}/progress", json={"percent": 10}, headers=committee.headers)
        ).status_code == 403
        progressed = await call(forum, owner, f"{url}/progress", {"percent": 40, "note": "方案初稿"})
        assert progressed["progress"] == 40

        # Overdue milestones are flagged by the job when the clock passes their due time.
        await forum.app.state.jobs.run_once(forum.clock() + timedelta(days=11))
        flagged = (await forum.client.get(url, headers=committee.headers)).json()
        assert flagged["milestones"][0]["overdue"] is True
        done = await call(
            forum, owner, f"{url}/progress", {"percent": 100, "done_milestone_ids": [milestone["id"]]}
        )
        assert done["milestones"][0]["done_at"]
        assert done["milestones"][0]["overdue"] is False

        await call(forum, committee, f"{url}/supervision")
        await call(forum, committee, f"{url}/evaluation")
        outsider = (await households(forum, community, 1, building="9号楼"))[0]
        not_affected = await forum.client.post(f"{url}/ratings", json={"stars": 5}, headers=outsider.headers)
        assert not_affected.status_code == 403
        assert not_affected.json()["code"] == "not_affected"
        no_ratings = await forum.client.post(f"{url}/conclusion", headers=committee.headers)
        assert no_ratings.status_code == 409
        for resident, stars in zip(residents, [2, 3, 2], strict=True):
            await call(forum, resident, f"{url}/ratings", {"stars": stars})
        back = await call(forum, committee, f"{url}/conclusion")
        assert back["state"] == "acting"  # average 2.33 < 3.5: back to acting
        await call(forum, committee, f"{url}/supervision")
        await call(forum, committee, f"{url}/evaluation")
        fresh = (await forum.client.get(url, headers=committee.headers)).json()
        assert fresh["rating"]["count"] == 0  # a new evaluation starts empty
        for resident in residents:
            await call(forum, resident, f"{url}/ratings", {"stars": 5})
        closed = await call(forum, committee, f"{url}/conclusion")
        assert closed["state"] == "closed"

        async def published() -> bool:
            return len(tap.of(DeliberationStateChangedV1.event_type)) >= 12

        await eventually(published, what="deliberation events")
    states = [e.payload["to_state"] for e in tap.of(DeliberationStateChangedV1.event_type)]
    assert states == [
        "collecting",
        "screening",
        "deliberating",
        "voting",
        "decided",
        "acting",
        "supervising",
        "evaluating",
        "acting",
        "supervising",
        "evaluating",
        "closed",
    ]


async def test_rejections_expiry_and_direct_decision(forum: Forum) -> None:
    community = uuid.uuid4()
    committee = person(community, "committee")
    residents = await households(forum, community, 3)

    async def topic(threshold: int = 1) -> str:
        policy = {
            "support_threshold": threshold,
            "window_days": 14,
            "quorum_households": 2,
            "pass_ratio": 0.5,
        }
        set_policy = await forum.client.put("/api/v1/forum/policy", json=policy, headers=committee.headers)
        assert set_policy.status_code == 200, set_policy.text
        created = await call(forum, residents[0], L, {"title": "议题", "body": "内容"}, 201)
        return f"{L}/{created['id']}"

    rejected = await topic()
    await call(forum, residents[0], f"{rejected}/supports")
    result = await call(
        forum, committee, f"{rejected}/screening", {"decision": "reject", "reason": "不属于业主自治范围"}
    )
    assert result["state"] == "rejected"
    assert result["reject_reason"] == "不属于业主自治范围"

    direct = await topic()
    await call(forum, residents[1], f"{direct}/supports")
    await call(forum, committee, f"{direct}/screening", {"decision": "accept"})
    decided = await call(
        forum,
        committee,
        f"{direct}/minutes",
        {"attendees": ["王五"], "conclusion": "直接办", "next": "decided"},
    )
    assert decided["state"] == "decided"

    no_quorum = await topic()
    await call(forum, residents[1], f"{no_quorum}/supports")
    await call(forum, committee, f"{no_quorum}/screening", {"decision": "accept"})
    await call(
        forum,
        committee,
        f"{no_quorum}/minutes",
        {"attendees": ["王五"], "conclusion": "表决", "next": "voting", "quorum": 3},
    )
    await call(forum, residents[0], f"{no_quorum}/votes", {"choice": "yes"})
    failed = await call(forum, committee, f"{no_quorum}/vote-result")
    assert failed["state"] == "rejected"  # 1 household of a quorum of 3
    late_vote = await forum.client.post(
        f"{no_quorum}/votes", json={"choice": "yes"}, headers=residents[1].headers
    )
    assert late_vote.status_code == 409

    expiring = await topic(threshold=3)
    await call(forum, residents[0], f"{expiring}/supports")
    await forum.app.state.jobs.run_once(forum.clock() + timedelta(days=15))
    assert (await forum.client.get(expiring, headers=committee.headers)).json()["state"] == "expired"
    assert (await forum.client.post(f"{expiring}/supports", headers=residents[1].headers)).status_code == 409
    other_community = person(uuid.uuid4(), "committee")
    assert (await forum.client.get(expiring, headers=other_community.headers)).status_code == 404
