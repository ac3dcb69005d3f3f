"""Disputes (调解) through the API: the whole path, who may do what, anonymity, notes, reopening,
the timeline and the events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from contracts import DisputeStateChangedV1
from servicekit.testing import new_namespace
from tests.forum.helpers import (
    EventTap,
    Forum,
    Person,
    eventually,
    known_to_forum,
    make_mediator,
    person,
    running_forum,
)

D = "/api/v1/forum/disputes"


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[Forum]:
    async with running_forum(new_namespace()) as running:
        yield running


async def post(forum: Forum, who: Person, path: str, body: dict | None = None, status: int = 200) -> dict:  # type: ignore[type-arg]
    response = await forum.client.post(path, json=body, headers=who.headers)
    assert response.status_code == status, response.text
    return response.json()


async def parties(forum: Forum) -> tuple[Person, Person, Person, Person]:
    community = uuid.uuid4()
    complainant, respondent, mediator, other_mediator = (person(community) for _ in range(4))
    await make_mediator(forum, mediator)
    await make_mediator(forum, other_mediator)
    await known_to_forum(forum, complainant, respondent)
    return complainant, respondent, mediator, other_mediator


async def to_monitoring(
    forum: Forum, complainant: Person, respondent: Person, mediator: Person, **extra: object
) -> str:
    dispute = await post(
        forum,
        complainant,
        D,
        {"parties": [str(respondent.id)], "summary": "楼上装修噪音每天到晚上十点", **extra},
        201,
    )
    url = f"{D}/{dispute['id']}"
    await post(forum, mediator, f"{url}/triage")
    await post(forum, mediator, f"{url}/mediator", {"mediator_id": str(mediator.id)})
    await post(forum, complainant, f"{url}/mediator/accept")
    state = await post(forum, respondent, f"{url}/mediator/accept")
    assert state["state"] == "in_mediation"
    by = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    terms = [{"what": "晚上八点后不装修", "who": str(respondent.id), "by": by}]
    await post(forum, mediator, f"{url}/agreement", {"terms": terms})
    await post(forum, complainant, f"{url}/agreement/accept")
    agreed = await post(forum, respondent, f"{url}/agreement/accept")
    assert agreed["state"] == "agreed"
    assert agreed["terms"][0]["what"] == "晚上八点后不装修"
    await post(forum, mediator, f"{url}/monitoring")
    return str(dispute["id"])


async def test_the_whole_mediation_with_events_and_timeline(forum: Forum) -> None:
    complainant, respondent, mediator, _ = await parties(forum)
    async with EventTap(forum.settings, DisputeStateChangedV1.event_type) as tap:
        dispute_id = await to_monitoring(forum, complainant, respondent, mediator)
        url = f"{D}/{dispute_id}"
        on_track = await post(
            forum, mediator, f"{url}/check-ins", {"outcome": "on_track", "note": "一周没有噪音"}
        )
        assert on_track["state"] == "monitoring"
        resolved = await post(forum, mediator, f"{url}/check-ins", {"outcome": "passed"})
        assert resolved["state"] == "resolved"
        expected = [
            None,
            "reported",
            "triaged",
            "mediator_proposed",
            "in_mediation",
            "agreement_proposed",
            "agreed",
            "monitoring",
            "resolved",
        ]

        async def all_published() -> bool:
            return len(tap.of(DisputeStateChangedV1.event_type)) >= len(expected) - 1

        await eventually(all_published, what="dispute events")
    events = [e.parse_payload() for e in tap.of(DisputeStateChangedV1.event_type)]
    assert [e.to_state for e in events] == expected[1:]  # type: ignore[attr-defined]
    assert [e.from_state for e in events] == expected[:-1]  # type: ignore[attr-defined]
    assert set(events[-1].notify_user_ids) == {complainant.id, respondent.id, mediator.id}  # type: ignore[attr-defined]
    timeline = resolved["timeline"]
    assert [t["action"] for t in timeline][:3] == ["report", "triage", "propose_mediator"]
    assert "check_in" in [t["action"] for t in timeline]


async def test_declined_agreement_goes_back_to_mediation_and_needs_everyone(forum: Forum) -> None:
    complainant, respondent, mediator, _ = await parties(forum)
    dispute = await post(
        forum, complainant, D, {"parties": [str(respondent.id)], "summary": "停车位被占"}, 201
    )
    url = f"{D}/{dispute['id']}"
    await post(forum, mediator, f"{url}/triage")
    await post(forum, mediator, f"{url}/mediator", {"mediator_id": str(mediator.id)})
    half = await post(forum, complainant, f"{url}/mediator/accept")
    assert half["state"] == "mediator_proposed"  # the other party has not accepted yet
    await post(forum, respondent, f"{url}/mediator/accept")
    terms = [{"what": "不再占用", "who": str(respondent.id), "by": "2026-12-01T00:00:00+08:00"}]
    await post(forum, mediator, f"{url}/agreement", {"terms": terms})
    await post(forum, complainant, f"{url}/agreement/accept")
    declined = await post(forum, respondent, f"{url}/agreement/decline", {"reason": "时间太紧"})
    assert declined["state"] == "in_mediation"
    bad_term = [{"what": "x", "who": str(uuid.uuid4()), "by": "2026-12-01T00:00:00+08:00"}]
    assert (
        await forum.client.post(f"{url}/agreement", json={"terms": bad_term}, headers=mediator.headers)
    ).status_code == 422
    escalated = await post(forum, mediator, f"{url}/escalate", {"to": "peoples_mediation"})
    assert escalated["state"] == "escalated"


async def test_forbidden_requests_answer_409_or_403(forum: Forum) -> None:
    complainant, respondent, mediator, _ = await parties(forum)
    dispute = await post(forum, complainant, D, {"parties": [str(respondent.id)], "summary": "狗叫"}, 201)
    url = f"{D}/{dispute['id']}"
    early = await forum.client.post(f"{url}/monitoring", headers=mediator.headers)
    assert early.status_code == 403  # not yet this case's mediator
    illegal = await forum.client.post(f"{url}/agreement/accept", headers=complainant.headers)
    assert illegal.status_code == 409
    assert illegal.json()["code"] == "transition_not_allowed"
    assert (await forum.client.post(f"{url}/triage", headers=respondent.headers)).status_code == 403
    assert (await forum.client.post(f"{url}/withdraw", headers=respondent.headers)).status_code == 403
    withdrawn = await post(forum, complainant, f"{url}/withdraw")
    assert withdrawn["state"] == "withdrawn"
    assert (await forum.client.post(f"{url}/triage", headers=mediator.headers)).status_code == 409
    not_mediator = person(complainant.community_id)
    other = await post(forum, complainant, D, {"parties": [str(respondent.id)], "summary": "又叫"}, 201)
    await post(forum, mediator, f"{D}/{other['id']}/triage")
    refused = await forum.client.post(
        f"{D}/{other['id']}/mediator", json={"mediator_id": str(not_mediator.id)}, headers=mediator.headers
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "not_a_mediator"
    closed = await post(forum, mediator, f"{D}/{other['id']}/close", {"reason": "邻里误会"})
    assert closed["state"] == "closed_not_dispute"


async def test_new_complaint_or_broken_term_reopens(forum: Forum) -> None:
    complainant, respondent, mediator, _ = await parties(forum)
    dispute_id = await to_monitoring(forum, complainant, respondent, mediator)
    again = await forum.client.post(
        D, json={"parties": [str(complainant.id)], "summary": "又开始晚上装修了"}, headers=respondent.headers
    )
    assert again.status_code == 200
    assert again.json()["id"] == dispute_id
    assert again.json()["state"] == "reopened"
    resumed = await post(forum, mediator, f"{D}/{dispute_id}/resume")
    assert resumed["state"] == "in_mediation"

    second = await to_monitoring(forum, *(await parties(forum))[:3])
    detail = await forum.client.get(f"{D}/{second}", headers=person(uuid.uuid4()).headers)
    assert detail.status_code == 404


async def test_anonymous_complainant_and_mediator_notes_matrix(forum: Forum) -> None:
    complainant, respondent, mediator, other_mediator = await parties(forum)
    dispute = await post(
        forum,
        complainant,
        D,
        {"parties": [str(respondent.id)], "summary": "楼上漏水", "hide_identity": True},
        201,
    )
    url = f"{D}/{dispute['id']}"
    as_respondent = (await forum.client.get(url, headers=respondent.headers)).json()
    assert as_respondent["complainant_id"] is None
    assert as_respondent["reporter_id"] is None
    assert str(complainant.id) not in str(as_respondent)
    as_complainant = (await forum.client.get(url, headers=complainant.headers)).json()
    assert as_complainant["complainant_id"] == str(complainant.id)
    as_mediator = (await forum.client.get(url, headers=mediator.headers)).json()
    assert as_mediator["complainant_id"] == str(complainant.id)  # never hidden from the mediator
    bystander = person(complainant.community_id)
    assert (await forum.client.get(url, headers=bystander.headers)).status_code == 404
    stranger = person(uuid.uuid4(), "mediator")
    assert (await forum.client.get(url, headers=stranger.headers)).status_code == 404

    note = await post(forum, mediator, f"{url}/notes", {"body": "双方情绪激动，先分开谈"}, 201)
    assert note["body"]
    for who in (complainant, respondent, bystander, person(complainant.community_id, "admin", "committee")):
        assert (await forum.client.get(f"{url}/notes", headers=who.headers)).status_code == 403
        assert (
            await forum.client.post(f"{url}/notes", json={"body": "x"}, headers=who.headers)
        ).status_code == 403
    notes = (await forum.client.get(f"{url}/notes", headers=other_mediator.headers)).json()["items"]
    assert [n["body"] for n in notes] == ["双方情绪激动，先分开谈"]
    assert "双方情绪激动" not in str((await forum.client.get(url, headers=complainant.headers)).json())
    listed = (await forum.client.get(D, headers=respondent.headers)).json()["items"]
    assert [d["complainant_id"] for d in listed] == [None]
