"""Escalation publishes one event with the thread's content; report events post the progress
back into the thread once per event; hotspots from posts and reports, their API and the one-call
deliberation topic."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from contracts import (
    Envelope,
    HotspotDetectedV1,
    PostCreatedV1,
    ReportStatusChangedV1,
    ReportSubmittedV1,
    RoleRevokedV1,
    ThreadEscalatedV1,
)
from servicekit.testing import new_namespace
from tests.forum.helpers import (
    EventTap,
    Forum,
    eventually,
    make_mediator,
    person,
    publish,
    publish_envelopes,
    running_forum,
)

T = "/api/v1/forum/threads"


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[Forum]:
    async with running_forum(new_namespace()) as running:
        yield running


async def test_escalating_twice_publishes_once_with_the_thread(forum: Forum) -> None:
    community = uuid.uuid4()
    author, stranger, manager = person(community), person(community), person(community, "property_manager")
    created = await forum.client.post(
        T,
        json={"board": "grievances", "title": "暖气不热", "body": "家里才十六度", "building": "7号楼"},
        headers=author.headers,
    )
    thread_id = created.json()["id"]
    async with EventTap(forum.settings, ThreadEscalatedV1.event_type) as tap:
        refused = await forum.client.post(f"{T}/{thread_id}/escalate", headers=stranger.headers)
        assert refused.status_code == 403
        first, second, third = await asyncio.gather(
            forum.client.post(
                f"{T}/{thread_id}/escalate", json={"suggested_category": "heating"}, headers=author.headers
            ),
            forum.client.post(f"{T}/{thread_id}/escalate", headers=author.headers),
            forum.client.post(f"{T}/{thread_id}/escalate", headers=manager.headers),
        )
        assert {first.status_code, second.status_code, third.status_code} == {200}
        assert first.json()["escalated_at"]

        async def one() -> bool:
            return len(tap.of(ThreadEscalatedV1.event_type)) >= 1

        await eventually(one, what="escalation event")
        await asyncio.sleep(0.5)  # a second event would have arrived by now
    [event] = tap.of(ThreadEscalatedV1.event_type)
    payload = event.parse_payload()
    assert isinstance(payload, ThreadEscalatedV1)
    assert (payload.thread_id, payload.author_id, payload.title, payload.body, payload.building) == (
        uuid.UUID(thread_id),
        author.id,
        "暖气不热",
        "家里才十六度",
        "7号楼",
    )
    assert payload.community_id == community
    assert payload.board == "grievances"

    # The reports service answers with events; each (even redelivered) is one system post.
    report_id = uuid.uuid4()
    common = {
        "community_id": community,
        "report_id": report_id,
        "reporter_id": author.id,
        "category": "heating",
        "department": "heating",
        "building": "7号楼",
        "source_thread_id": uuid.UUID(thread_id),
    }
    now = datetime.now(UTC)
    submitted = Envelope.wrap(
        ReportSubmittedV1(
            **common, public_area=False, due_accept_at=now, due_resolve_at=now + timedelta(days=1)
        ),
        producer="reports",
    )
    accepted = Envelope.wrap(
        ReportStatusChangedV1(**common, from_status="submitted", to_status="accepted"), producer="reports"
    )
    resolved = Envelope.wrap(
        ReportStatusChangedV1(**common, from_status="in_progress", to_status="resolved"), producer="reports"
    )
    await publish_envelopes(forum.settings, [submitted, accepted, resolved], copies=3)

    async def echoed() -> bool:
        thread = (await forum.client.get(f"{T}/{thread_id}", headers=author.headers)).json()
        return len([p for p in thread["posts"] if p["kind"] == "system"]) >= 3

    await eventually(echoed, what="system posts")
    await asyncio.sleep(0.5)
    thread = (await forum.client.get(f"{T}/{thread_id}", headers=stranger.headers)).json()
    system = [p["body"] for p in thread["posts"] if p["kind"] == "system"]
    assert len(system) == 3
    assert system[-1] == "报修单进度：处理中 → 已解决"
    assert thread["report_id"] == str(report_id)


async def test_revoked_mediator_loses_the_queue(forum: Forum) -> None:
    community = uuid.uuid4()
    mediator = person(community)
    await make_mediator(forum, mediator)
    assert (
        await forum.client.get("/api/v1/forum/moderation/queue", headers=mediator.headers)
    ).status_code == 200
    await publish(forum.settings, RoleRevokedV1(community_id=community, user_id=mediator.id, role="mediator"))

    async def revoked() -> bool:
        return (
            await forum.client.get("/api/v1/forum/moderation/queue", headers=mediator.headers)
        ).status_code == 403

    await eventually(revoked, what="mediator revoked")


async def test_hotspot_from_posts_and_reports_to_deliberation(forum: Forum) -> None:
    community = uuid.uuid4()
    manager, mediator, resident = person(community, "property_manager"), person(community), person(community)
    committee = person(community, "committee")
    await make_mediator(forum, mediator)
    now = forum.clock()
    envelopes = []
    # A month of the usual: one mention of 楼道灯 a week in 2号楼.
    for day in range(35, 3, -7):
        envelopes.append(_post(community, "2号楼", "楼道灯有点暗", now - timedelta(days=day)))
    # Today: six posts and two reports about it.
    burst = [
        _post(community, "2号楼", f"楼道灯坏了第{n}天，晚上黑漆漆", now - timedelta(minutes=n))
        for n in range(6)
    ]
    envelopes += burst
    report_ids = [uuid.uuid4(), uuid.uuid4()]
    for report_id in report_ids:
        envelopes.append(
            Envelope.wrap(
                ReportSubmittedV1(
                    community_id=community,
                    report_id=report_id,
                    reporter_id=resident.id,
                    category="stairwell_lighting",
                    department="property",
                    building="2号楼",
                    public_area=True,
                    due_accept_at=now,
                    due_resolve_at=now,
                ),
                producer="reports",
                occurred_at=now,
            )
        )
    await publish_envelopes(forum.settings, envelopes, copies=2)  # redelivery counts once

    async def counted() -> bool:
        async with forum.app.state.runtime.uow() as uow:
            from sqlalchemy import func, select

            from forum.adapters.tables import keyword_mentions

            rows = await uow.session.execute(
                select(func.count()).where(
                    keyword_mentions.c.community_id == community, keyword_mentions.c.keyword == "楼道灯"
                )
            )
            return rows.scalar_one() == len(envelopes)

    await eventually(counted, what="mentions counted")
    async with EventTap(forum.settings, HotspotDetectedV1.event_type) as tap:
        result = await forum.app.state.jobs.run_once(now)
        again = await forum.app.state.jobs.run_once(now + timedelta(minutes=5))
        assert again["hotspots"] == []  # the same burst is not announced twice

        async def announced() -> bool:
            return any(
                e.payload["community_id"] == str(community) for e in tap.of(HotspotDetectedV1.event_type)
            )

        await eventually(announced, what="hotspot event")
    mine = [
        e.parse_payload()
        for e in tap.of(HotspotDetectedV1.event_type)
        if e.payload["community_id"] == str(community)
    ]
    assert len(mine) == 1
    assert len(result["hotspots"]) >= 1
    event = mine[0]
    assert isinstance(event, HotspotDetectedV1)
    assert (event.keyword, event.building) == ("楼道灯", "2号楼")
    assert set(event.evidence_report_ids) == set(report_ids)
    assert {str(i) for i in event.evidence_post_ids} == {str(e.payload["post_id"]) for e in burst}

    for who in (resident, person(uuid.uuid4(), "property_manager")):
        response = await forum.client.get("/api/v1/forum/hotspots", headers=who.headers)
        assert response.status_code == 403 or response.json()["items"] == []
    for who in (manager, mediator, committee):
        listed = (await forum.client.get("/api/v1/forum/hotspots", headers=who.headers)).json()["items"]
        assert [h["keyword"] for h in listed] == ["楼道灯"]
    hotspot = listed[0]
    assert hotspot["count"] == 8
    assert hotspot["week"].startswith(str(now.isocalendar().year))
    assert (
        await forum.client.post(
            f"/api/v1/forum/hotspots/{hotspot['id']}/deliberation", headers=mediator.headers
        )
    ).status_code == 403
    topic = await forum.client.post(
        f"/api/v1/forum/hotspots/{hotspot['id']}/deliberation", headers=manager.headers
    )
    assert topic.status_code == 201
    assert topic.json()["state"] == "collecting"
    assert topic.json()["hotspot_id"] == hotspot["id"]
    assert "楼道灯" in topic.json()["title"]
    assert topic.json()["building"] == "2号楼"
    same = await forum.client.post(
        f"/api/v1/forum/hotspots/{hotspot['id']}/deliberation", headers=manager.headers
    )
    assert same.status_code == 200
    assert same.json()["id"] == topic.json()["id"]


def _post(community: uuid.UUID, building: str, text: str, at: datetime) -> Envelope:
    return Envelope.wrap(
        PostCreatedV1(
            community_id=community,
            post_id=uuid.uuid4(),
            thread_id=uuid.uuid4(),
            author_id=uuid.uuid4(),
            board="grievances",
            building=building,
            text=text,
        ),
        producer="forum",
        occurred_at=at,
    )
