"""Every user id a request names belongs to the caller's community (issue 9, item 1): the forum
learns who belongs where from the gateway's events (the `people` projection) and refuses a dispute
party, a mention or a deliberation owner of another community, or one it never heard of, with
`422 user_not_in_community` — before anything is written or announced."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, insert, select

from contracts import DisputeStateChangedV1
from forum.adapters.tables import deliberations, disputes, notices, people
from servicekit.testing import new_namespace
from tests.forum.helpers import (
    EventTap,
    Forum,
    Person,
    known_to_forum,
    make_mediator,
    person,
    running_forum,
    verify_households,
)

D = "/api/v1/forum/disputes"
T = "/api/v1/forum/threads"


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[Forum]:
    async with running_forum(new_namespace()) as running:
        yield running


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "user_not_in_community"


async def _two_communities(forum: Forum) -> tuple[Person, Person, Person]:
    """(a resident of A, their neighbour in A, a resident of B), all signed up."""
    community_a = uuid.uuid4()
    resident, neighbour, outsider = person(community_a), person(community_a), person(uuid.uuid4())
    await known_to_forum(forum, resident, neighbour, outsider)
    return resident, neighbour, outsider


async def _dispute_count(forum: Forum, community_id: uuid.UUID) -> int:
    async with forum.app.state.runtime.uow() as uow:
        count = await uow.session.scalar(
            select(func.count()).select_from(disputes).where(disputes.c.community_id == community_id)
        )
    return int(count or 0)


async def test_a_dispute_party_of_another_community_is_refused(forum: Forum) -> None:
    resident, neighbour, outsider = await _two_communities(forum)
    mediator = person(resident.community_id)
    await make_mediator(forum, mediator)
    async with EventTap(forum.settings, DisputeStateChangedV1.event_type) as tap:
        for parties in ([outsider.id], [neighbour.id, outsider.id], [uuid.uuid4()]):
            _refused(
                await forum.client.post(
                    D,
                    json={"parties": [str(p) for p in parties], "summary": "楼上漏水"},
                    headers=resident.headers,
                )
            )
        # A mediator opening a case for residents is held to the same rule.
        _refused(
            await forum.client.post(
                D,
                json={"parties": [str(neighbour.id), str(outsider.id)], "summary": "楼上漏水"},
                headers=mediator.headers,
            )
        )
        assert await _dispute_count(forum, resident.community_id) == 0
        opened = await forum.client.post(
            D, json={"parties": [str(neighbour.id)], "summary": "楼上漏水"}, headers=resident.headers
        )
        assert opened.status_code == 201, opened.text
    # Only the accepted case was announced: nothing of A ever named the outsider.
    assert all(outsider.id not in e.parse_payload().notify_user_ids for e in tap.received)  # type: ignore[attr-defined]


async def test_a_mention_of_another_community_is_refused(forum: Forum) -> None:
    resident, neighbour, outsider = await _two_communities(forum)
    thread = await forum.client.post(
        T,
        json={
            "board": "grievances",
            "title": "电梯又停了",
            "body": "一早就停了",
            "mentions": [str(outsider.id)],
        },
        headers=resident.headers,
    )
    _refused(thread)
    thread = await forum.client.post(
        T, json={"board": "grievances", "title": "电梯又停了", "body": "一早就停了"}, headers=resident.headers
    )
    assert thread.status_code == 201, thread.text
    reply = await forum.client.post(
        f"{T}/{thread.json()['id']}/posts",
        json={"body": "物业说下午修好", "mentions": [str(neighbour.id), str(outsider.id)]},
        headers=resident.headers,
    )
    _refused(reply)
    # No in-forum notice either, in any community.
    async with forum.app.state.runtime.uow() as uow:
        written = await uow.session.scalar(
            select(func.count()).select_from(notices).where(notices.c.user_id == outsider.id)
        )
    assert written == 0


async def test_a_deliberation_owner_of_another_community_is_refused(forum: Forum) -> None:
    resident, neighbour, outsider = await _two_communities(forum)
    committee = person(resident.community_id, "committee")
    topic = uuid.uuid4()
    now = forum.clock()
    async with forum.app.state.runtime.uow() as uow:
        await uow.session.execute(
            insert(deliberations).values(
                id=topic,
                community_id=resident.community_id,
                title="加装电梯",
                body="3号楼加装电梯",
                proposer_id=resident.id,
                state="decided",
                support_threshold=3,
                window_ends_at=now + timedelta(days=7),
                quorum=2,
                rating_threshold=3.0,
                updated_at=now,
            )
        )
        await uow.commit()
    url = f"/api/v1/forum/deliberations/{topic}/acting"
    for owner in (outsider.id, uuid.uuid4()):
        _refused(await forum.client.post(url, json={"owner_id": str(owner)}, headers=committee.headers))
    acting = await forum.client.post(url, json={"owner_id": str(neighbour.id)}, headers=committee.headers)
    assert acting.status_code == 200, acting.text
    assert acting.json()["owner_id"] == str(neighbour.id)


async def test_people_are_learned_once_from_the_gateways_events(forum: Forum) -> None:
    """Sign-up, a role granted and a household verified each name a person; a redelivered or
    repeated fact adds nothing."""
    community = uuid.uuid4()
    resident, verified, mediator = person(community), person(community), person(community)
    await known_to_forum(forum, resident)
    await known_to_forum(forum, resident)  # the same sign-up again
    await make_mediator(forum, resident)
    await make_mediator(forum, mediator)
    await verify_households(forum, [verified])
    async with forum.app.state.runtime.uow() as uow:
        rows = (await uow.session.execute(select(people).where(people.c.community_id == community))).all()
    assert sorted((row.community_id, row.user_id, row.display_name) for row in rows) == sorted(
        [(community, who.id, None) for who in (resident, verified, mediator)]
    )
