"""The support threshold, window, quorum and pass ratio are the community's policy, set by the
committee (or an admin), never by the proposer; a topic keeps the policy it was opened under."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from servicekit.testing import new_namespace
from tests.forum.helpers import Forum, Person, person, running_forum, verify_households

L = "/api/v1/forum/deliberations"
P = "/api/v1/forum/policy"


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[Forum]:
    async with running_forum(new_namespace()) as running:
        yield running


def policy(threshold: int, window: int, quorum: int, ratio: float) -> dict[str, object]:
    return {
        "support_threshold": threshold,
        "window_days": window,
        "quorum_households": quorum,
        "pass_ratio": ratio,
    }


async def post(forum: Forum, who: Person, path: str, body: dict | None = None, status: int = 200) -> dict:  # type: ignore[type-arg]
    response = await forum.client.post(path, json=body, headers=who.headers)
    assert response.status_code == status, response.text
    return response.json()


async def households(forum: Forum, community: uuid.UUID, n: int) -> list[Person]:
    people = [person(community, household_id=uuid.uuid4()) for _ in range(n)]
    await verify_households(forum, people)
    return people


@pytest.mark.parametrize(
    "field",
    [
        {"support_threshold": 1},
        {"window_days": 90},
        {"quorum": 1},
        {"quorum_households": 1},
        {"pass_ratio": 0.01},
    ],
)
async def test_the_proposer_cannot_set_the_policy_of_their_topic(
    forum: Forum, field: dict[str, object]
) -> None:
    community = uuid.uuid4()
    proposer = (await households(forum, community, 1))[0]
    response = await forum.client.post(
        L, json={"title": "楼下装充电桩", "body": "解决飞线充电", **field}, headers=proposer.headers
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(next(iter(field)), "extra_forbidden")]
    assert (await forum.client.get(L, headers=proposer.headers)).json()["items"] == []


async def test_supporting_alone_no_longer_reaches_screening(forum: Forum) -> None:
    """The exploit: `support_threshold: 1`, then the proposer's own support. Now the community's
    threshold (3 here) holds."""
    community = uuid.uuid4()
    proposer = (await households(forum, community, 1))[0]
    topic = await post(forum, proposer, L, {"title": "楼下装充电桩", "body": "解决飞线充电"}, 201)
    assert topic["support_threshold"] == forum.settings.support_threshold == 3
    after = await post(forum, proposer, f"{L}/{topic['id']}/supports")
    assert after["state"] == "collecting"
    assert after["household_supports"] == 1


async def test_members_read_the_policy_and_only_committee_and_admin_write_it(forum: Forum) -> None:
    community = uuid.uuid4()
    resident = person(community, household_id=uuid.uuid4())
    read = await forum.client.get(P, headers=resident.headers)
    assert read.status_code == 200
    assert read.json() == {
        "support_threshold": forum.settings.support_threshold,
        "window_days": forum.settings.support_window_days,
        "quorum_households": forum.settings.quorum,
        "pass_ratio": forum.settings.pass_ratio,
        "source": "default",
        "updated_by": None,
        "updated_at": None,
    }
    for who in (resident, person(community, "property_manager"), person(community, "courier")):
        refused = await forum.client.put(P, json=policy(1, 14, 1, 0.5), headers=who.headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "forbidden"
    assert (await forum.client.get(P, headers=resident.headers)).json()["source"] == "default"

    committee = person(community, "committee")
    written = await forum.client.put(P, json=policy(5, 30, 12, 0.6), headers=committee.headers)
    assert written.status_code == 200, written.text
    assert written.json()["source"] == "community"
    assert written.json()["updated_by"] == str(committee.id)
    seen = (await forum.client.get(P, headers=resident.headers)).json()
    assert (
        seen["support_threshold"],
        seen["window_days"],
        seen["quorum_households"],
        seen["pass_ratio"],
    ) == (
        5,
        30,
        12,
        0.6,
    )
    admin = person(community, "admin")
    assert (await forum.client.put(P, json=policy(4, 30, 12, 1), headers=admin.headers)).status_code == 200
    assert (await forum.client.get(P, headers=resident.headers)).json()["support_threshold"] == 4
    # Another community's policy is its own.
    elsewhere = (await forum.client.get(P, headers=person(uuid.uuid4()).headers)).json()
    assert elsewhere["source"] == "default"


@pytest.mark.parametrize(
    "body",
    [
        policy(0, 14, 1, 0.5),
        policy(1, 0, 1, 0.5),
        policy(1, 91, 1, 0.5),
        policy(1, 14, 0, 0.5),
        policy(1, 14, 1, 0),
        policy(1, 14, 1, 1.01),
        policy(1, 14, 1, -0.5),
        {"support_threshold": 1, "window_days": 14, "quorum_households": 1},
        {**policy(1, 14, 1, 0.5), "community_id": str(uuid.uuid4())},
    ],
)
async def test_a_policy_out_of_bounds_is_refused(forum: Forum, body: dict[str, object]) -> None:
    community = uuid.uuid4()
    committee = person(community, "committee")
    response = await forum.client.put(P, json=body, headers=committee.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert (await forum.client.get(P, headers=committee.headers)).json()["source"] == "default"


async def test_a_policy_change_applies_to_new_topics_not_running_ones(forum: Forum) -> None:
    community = uuid.uuid4()
    committee = person(community, "committee")
    residents = await households(forum, community, 3)
    put = await forum.client.put(P, json=policy(2, 5, 3, 0.75), headers=committee.headers)
    assert put.status_code == 200
    running = await post(forum, residents[0], L, {"title": "加装电梯", "body": "老人上下楼不方便"}, 201)
    assert (running["support_threshold"], running["quorum"], running["pass_ratio"]) == (2, 3, 0.75)
    opened = datetime.fromisoformat(running["created_at"])
    assert datetime.fromisoformat(running["window_ends_at"]) == opened + timedelta(days=5)

    put = await forum.client.put(P, json=policy(3, 20, 1, 0.5), headers=committee.headers)
    assert put.status_code == 200
    later = await post(forum, residents[0], L, {"title": "楼道装灯", "body": "晚上太黑"}, 201)
    assert (later["support_threshold"], later["quorum"], later["pass_ratio"]) == (3, 1, 0.5)
    assert datetime.fromisoformat(later["window_ends_at"]) == datetime.fromisoformat(
        later["created_at"]
    ) + timedelta(days=20)

    # The running topic keeps its goalposts: two supports (not three) send it to screening, and
    # 2 yes of 3 (0.67 < 0.75) do not carry it, although the new policy's majority would.
    url = f"{L}/{running['id']}"
    await post(forum, residents[0], f"{url}/supports")
    assert (await post(forum, residents[1], f"{url}/supports"))["state"] == "screening"
    await post(forum, committee, f"{url}/screening", {"decision": "accept"})
    await post(
        forum, committee, f"{url}/minutes", {"attendees": ["张三"], "conclusion": "表决", "next": "voting"}
    )
    for resident, choice in zip(residents, ["yes", "yes", "no"], strict=True):
        await post(forum, resident, f"{url}/votes", {"choice": choice})
    result = await post(forum, committee, f"{url}/vote-result")
    assert result["state"] == "rejected"
    assert result["timeline"][-1]["detail"]["pass_ratio"] == 0.75

    # The later topic, under the new policy (simple majority, quorum 1), carries with the same votes.
    url = f"{L}/{later['id']}"
    for resident in residents:
        await post(forum, resident, f"{url}/supports")
    await post(forum, committee, f"{url}/screening", {"decision": "accept"})
    await post(
        forum, committee, f"{url}/minutes", {"attendees": ["张三"], "conclusion": "表决", "next": "voting"}
    )
    for resident, choice in zip(residents, ["yes", "yes", "no"], strict=True):
        await post(forum, resident, f"{url}/votes", {"choice": choice})
    assert (await post(forum, committee, f"{url}/vote-result"))["state"] == "decided"
