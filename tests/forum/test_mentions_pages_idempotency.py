"""@mentions reach the gateway as forum.post.mentioned.v1 (only once a post is visible, only for
members, never the author); every list pages with a real cursor; an Idempotency-Key's response
commits with the effect."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from contracts import PostMentionedV1
from forum.adapters.tables import hotspots
from servicekit import idempotency
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
    verify_households,
)

T = "/api/v1/forum/threads"
MENTIONED = PostMentionedV1.event_type


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[Forum]:
    async with running_forum(new_namespace()) as running:
        yield running


async def created(forum: Forum, who: Person, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await forum.client.post(path, json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def new_thread(forum: Forum, who: Person, title: str, body: str, **extra: object) -> dict[str, Any]:
    return await created(forum, who, T, {"board": "grievances", "title": title, "body": body, **extra})


async def reply(
    forum: Forum, who: Person, thread_id: str, body: str, mentions: list[Person]
) -> dict[str, Any]:
    return await created(
        forum, who, f"{T}/{thread_id}/posts", {"body": body, "mentions": [str(p.id) for p in mentions]}
    )


def mentions_of(tap: EventTap, post_id: str) -> list[PostMentionedV1]:
    events = [e.parse_payload() for e in tap.of(MENTIONED) if e.payload["post_id"] == post_id]
    return [e for e in events if isinstance(e, PostMentionedV1)]


async def mentioned_event(tap: EventTap, post_id: str) -> PostMentionedV1:
    async def arrived() -> bool:
        return bool(mentions_of(tap, post_id))

    await eventually(arrived, what=f"mention event of {post_id}")
    events = mentions_of(tap, post_id)
    assert len(events) == 1
    return events[0]


# --- mentions ------------------------------------------------------------------------------------


async def test_a_reply_mentioning_two_members_publishes_one_event_with_both(forum: Forum) -> None:
    community = uuid.uuid4()
    author, poster, verified = person(community), person(community), person(community)
    stranger, elsewhere = person(community), person(uuid.uuid4())
    # The forum knows `poster` (posted here) and `verified` (a verified household here); it has
    # never heard of `stranger`, and `elsewhere` belongs to another community.
    await new_thread(forum, elsewhere, "别处", "别的小区的帖子")
    await verify_households(forum, [verified])
    async with EventTap(forum.settings, MENTIONED) as tap:
        thread = await new_thread(forum, poster, "电梯又停了", "2号楼电梯一早就停了")
        # A mention of someone the forum does not know in the community is refused, whether
        # they belong elsewhere or nowhere the forum heard of.
        for outsider in (stranger, elsewhere):
            refused = await forum.client.post(
                f"{T}/{thread['id']}/posts",
                json={"body": "物业说下午修好", "mentions": [str(poster.id), str(outsider.id)]},
                headers=author.headers,
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == "user_not_in_community"
        post = await reply(forum, author, thread["id"], "物业说下午修好", [poster, verified, poster])
        event = await mentioned_event(tap, post["id"])
    assert (event.community_id, event.thread_id, event.author_id) == (
        community,
        uuid.UUID(thread["id"]),
        author.id,
    )
    assert event.post_id == uuid.UUID(post["id"])
    assert event.mentioned_user_ids == [poster.id, verified.id]
    # The in-forum notices stay as they were.
    notices = (await forum.client.get("/api/v1/forum/me/notices", headers=verified.headers)).json()["items"]
    assert [(n["kind"], n["post_id"]) for n in notices] == [("mention", post["id"])]


async def test_a_post_held_for_approval_publishes_the_mention_only_once_approved(forum: Forum) -> None:
    community = uuid.uuid4()
    mediator, author, friend = person(community), person(community), person(community)
    await make_mediator(forum, mediator)
    put = await forum.client.put(
        "/api/v1/forum/moderation/watched-words",
        json={"word": "代购", "action": "require_approval"},
        headers=mediator.headers,
    )
    assert put.status_code == 200
    async with EventTap(forum.settings, MENTIONED) as tap:
        thread = await new_thread(forum, friend, "拼单", "有人一起买菜吗")
        held = await reply(forum, author, thread["id"], "我可以帮忙代购", [friend])
        assert held["status"] == "pending"
        # A later visible post with a mention: once its event arrived, the held post's would have.
        later = await reply(forum, mediator, thread["id"], "请注意社区规则", [friend])
        await mentioned_event(tap, later["id"])
        assert mentions_of(tap, held["id"]) == []

        queue = (await forum.client.get("/api/v1/forum/moderation/queue", headers=mediator.headers)).json()
        item = next(i for i in queue["items"] if i["post"]["id"] == held["id"])
        decided = await forum.client.post(
            f"/api/v1/forum/moderation/queue/{item['id']}/decision",
            json={"decision": "approve"},
            headers=mediator.headers,
        )
        assert decided.status_code == 200
        event = await mentioned_event(tap, held["id"])
        assert (event.author_id, event.mentioned_user_ids) == (author.id, [friend.id])


async def test_a_self_mention_publishes_nothing(forum: Forum) -> None:
    community = uuid.uuid4()
    author, neighbour = person(community), person(community)
    async with EventTap(forum.settings, MENTIONED) as tap:
        own = await new_thread(forum, author, "提醒自己", "明天交物业费", mentions=[str(author.id)])
        later = await new_thread(forum, neighbour, "收快递", "帮我收下快递", mentions=[str(author.id)])
        await mentioned_event(tap, later["opening_post"]["id"])
        assert mentions_of(tap, own["opening_post"]["id"]) == []


# --- pagination ----------------------------------------------------------------------------------


async def walk(forum: Forum, who: Person, path: str, **params: str) -> tuple[list[str], list[str]]:
    """The ids of a two-item-per-page walk to the end, and of the whole list in one page."""
    whole = await forum.client.get(path, params={**params, "limit": "100"}, headers=who.headers)
    assert whole.status_code == 200, whole.text
    assert whole.json()["next_cursor"] is None
    walked: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        query = {**params, "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await forum.client.get(path, params=query, headers=who.headers)).json()
        assert len(page["items"]) <= 2
        walked += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return walked, [item["id"] for item in whole.json()["items"]]


async def assert_pages(forum: Forum, who: Person, path: str, expected: int, **params: str) -> None:
    walked, whole = await walk(forum, who, path, **params)
    assert len(whole) == expected
    assert walked == whole  # newest first, nothing missing, nothing repeated


async def test_notices_queue_and_audit_log_page_with_cursors(forum: Forum) -> None:
    community = uuid.uuid4()
    mediator, author, reader = person(community), person(community), person(community)
    await make_mediator(forum, mediator)
    await forum.client.put(
        "/api/v1/forum/moderation/watched-words",
        json={"word": "团购", "action": "require_approval"},
        headers=mediator.headers,
    )
    thread = await new_thread(forum, reader, "周末活动", "大家周末有什么安排")
    for n in range(4):
        await reply(forum, author, thread["id"], f"第{n}次团购水果", [reader])
    await assert_pages(forum, reader, "/api/v1/forum/me/notices", 4)
    await assert_pages(forum, mediator, "/api/v1/forum/moderation/queue", 4)
    # The log: the watched word set, then the four holds (three pages of two).
    await assert_pages(forum, mediator, "/api/v1/forum/moderation/log", 5)


async def test_disputes_and_deliberations_page_with_cursors(forum: Forum) -> None:
    community = uuid.uuid4()
    complainant = person(community, household_id=uuid.uuid4())
    await verify_households(forum, [complainant])
    neighbours = [person(community) for _ in range(4)]
    await known_to_forum(forum, *neighbours)
    for n, neighbour in enumerate(neighbours):
        await created(
            forum,
            complainant,
            "/api/v1/forum/disputes",
            {"parties": [str(neighbour.id)], "summary": f"第{n}户噪音"},
        )
        await created(
            forum, complainant, "/api/v1/forum/deliberations", {"title": f"议题{n}", "body": "内容"}
        )
    await assert_pages(forum, complainant, "/api/v1/forum/disputes", 4)
    await assert_pages(forum, complainant, "/api/v1/forum/deliberations", 4)


async def test_hotspots_page_with_cursors_through_equal_windows(forum: Forum) -> None:
    community = uuid.uuid4()
    manager = person(community, "property_manager")
    start = forum.clock().replace(microsecond=0)
    # Two hotspots share a window start: the id orders them within it.
    starts = [start, start, start - timedelta(days=1), start - timedelta(days=2)]
    async with forum.app.state.runtime.uow() as uow:
        await uow.session.execute(
            insert(hotspots),
            [
                {
                    "id": uuid.uuid4(),
                    "community_id": community,
                    "keyword": f"漏水{n}",
                    "building": "1号楼",
                    "related": [],
                    "window_start": at,
                    "window_end": at + timedelta(days=1),
                    "count": 5,
                    "baseline": 0.1,
                    "score": 4.0,
                    "evidence_post_ids": [],
                    "evidence_report_ids": [],
                }
                for n, at in enumerate(starts)
            ],
        )
        await uow.commit()
    await assert_pages(forum, manager, "/api/v1/forum/hotspots", 4)


async def test_a_garbled_cursor_is_400(forum: Forum) -> None:
    who = person(uuid.uuid4())
    for cursor in ["!!!", "eyJhdCI6Im5vdCBhIHRpbWUiLCJpZCI6IngifQ"]:
        response = await forum.client.get(
            "/api/v1/forum/me/notices", params={"cursor": cursor}, headers=who.headers
        )
        assert response.status_code == 400


# --- idempotency ---------------------------------------------------------------------------------


async def test_a_failure_storing_the_response_leaves_no_thread_and_a_free_key(
    forum: Forum, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The response is stored in the effect's transaction: if storing fails, nothing commits."""
    who = person(uuid.uuid4())
    body = {"board": "mutual_help", "title": "借电钻", "body": "谁家有电钻借用一下"}
    headers = {**who.headers, "Idempotency-Key": "drill-1"}

    async def crash(*_: object) -> None:
        raise RuntimeError("crashed before the response was stored")

    with monkeypatch.context() as patched:
        patched.setattr(idempotency.IdempotencyClaim, "record", crash)
        # Starlette re-raises after answering 500; the in-process transport passes it on.
        with pytest.raises(RuntimeError, match="crashed"):
            await forum.client.post(T, json=body, headers=headers)
    assert (await forum.client.get(T, headers=who.headers)).json()["items"] == []

    # The rate guard in Redis saw the first attempt's text; the key itself is free again.
    retried = await forum.client.post(T, json={**body, "body": "请问谁家有电钻可以借"}, headers=headers)
    assert retried.status_code == 201, retried.text
    again = await forum.client.post(T, json={**body, "body": "请问谁家有电钻可以借"}, headers=headers)
    assert again.json() == retried.json()
    assert [t["id"] for t in (await forum.client.get(T, headers=who.headers)).json()["items"]] == [
        retried.json()["id"]
    ]
