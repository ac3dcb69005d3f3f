"""Threads, replies, mentions, likes, edits, search, limits, watched words and moderation,
against the real app (PostgreSQL, Redis, RabbitMQ) with its lifespan."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from servicekit.testing import new_namespace
from tests.forum.helpers import Forum, Person, make_mediator, person, running_forum, verify_households

T = "/api/v1/forum/threads"


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[Forum]:
    async with running_forum(new_namespace()) as running:
        yield running


async def new_thread(forum: Forum, who: Person, title: str, body: str, **extra: object) -> dict:  # type: ignore[type-arg]
    response = await forum.client.post(
        T, json={"board": "grievances", "title": title, "body": body, **extra}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_thread_reply_mention_like_and_edit_history(forum: Forum) -> None:
    community = uuid.uuid4()
    alice, bob = person(community), person(community)
    thread = await new_thread(forum, alice, "楼道灯坏了", "三楼楼道灯不亮好几天了", building="3号楼")
    assert thread["building"] == "3号楼"
    assert thread["opening_post"]["author_id"] == str(alice.id)

    reply = await forum.client.post(
        f"{T}/{thread['id']}/posts",
        json={"body": "我家门口也是黑的", "mentions": [str(alice.id)]},
        headers=bob.headers,
    )
    assert reply.status_code == 201
    post_id = reply.json()["id"]
    notices = (await forum.client.get("/api/v1/forum/me/notices", headers=alice.headers)).json()["items"]
    assert [(n["kind"], n["post_id"]) for n in notices] == [("mention", post_id)]

    liked = await forum.client.put(f"/api/v1/forum/posts/{post_id}/like", headers=alice.headers)
    again = await forum.client.put(f"/api/v1/forum/posts/{post_id}/like", headers=alice.headers)
    assert liked.json()["like_count"] == again.json()["like_count"] == 1
    own = await forum.client.put(f"/api/v1/forum/posts/{post_id}/like", headers=bob.headers)
    assert own.status_code == 409

    edited = await forum.client.patch(
        f"/api/v1/forum/posts/{post_id}", json={"body": "我家门口也是黑的，二楼也不亮"}, headers=bob.headers
    )
    assert edited.status_code == 200
    assert edited.json()["edited_at"]
    not_mine = await forum.client.patch(
        f"/api/v1/forum/posts/{post_id}", json={"body": "改"}, headers=alice.headers
    )
    assert not_mine.status_code == 403
    history = (await forum.client.get(f"/api/v1/forum/posts/{post_id}/history", headers=alice.headers)).json()
    assert [r["body"] for r in history["revisions"]] == ["我家门口也是黑的"]
    assert history["current"]["body"] == "我家门口也是黑的，二楼也不亮"

    full = (await forum.client.get(f"{T}/{thread['id']}", headers=bob.headers)).json()
    assert [p["id"] for p in full["posts"]] == [post_id]


async def test_chinese_search_is_segmented_and_ranked(forum: Forum) -> None:
    community = uuid.uuid4()
    author = person(community)
    await new_thread(forum, author, "飞线充电太危险", "有人从五楼窗户飞线充电，电动车就停在楼道口")
    await new_thread(forum, author, "电动车停放", "电动车乱停，偶尔也有人说飞线充电")
    await new_thread(forum, author, "广场舞噪音", "晚上广场舞声音太大")
    found = (await forum.client.get(T, params={"q": "飞线充电"}, headers=author.headers)).json()["items"]
    assert [t["title"] for t in found] == ["飞线充电太危险", "电动车停放"]  # title match ranks first
    assert found[0]["rank"] > found[1]["rank"]
    # A word inside a longer one is found (jieba's search mode indexes the parts), no LIKE needed.
    assert len((await forum.client.get(T, params={"q": "充电"}, headers=author.headers)).json()["items"]) == 2
    assert (await forum.client.get(T, params={"q": "暖气"}, headers=author.headers)).json()["items"] == []
    other_community = person(uuid.uuid4())
    assert (await forum.client.get(T, params={"q": "飞线充电"}, headers=other_community.headers)).json()[
        "items"
    ] == []


async def test_board_and_building_filters_and_pages(forum: Forum) -> None:
    community = uuid.uuid4()
    author = person(community)
    for n in range(3):
        await new_thread(forum, author, f"互助{n}", f"借梯子{n}", building="5号楼")
    page = (
        await forum.client.get(T, params={"building": "5号楼", "limit": 2}, headers=author.headers)
    ).json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    rest = (
        await forum.client.get(
            T, params={"building": "5号楼", "limit": 2, "cursor": page["next_cursor"]}, headers=author.headers
        )
    ).json()
    assert [t["title"] for t in page["items"] + rest["items"]] == ["互助2", "互助1", "互助0"]
    assert (await forum.client.get(T, params={"board": "mutual_help"}, headers=author.headers)).json()[
        "items"
    ] == []


async def test_announcements_are_staff_only(forum: Forum) -> None:
    community = uuid.uuid4()
    body = {"board": "announcements", "title": "停水通知", "body": "明天九点到十二点停水"}
    resident = await forum.client.post(T, json=body, headers=person(community).headers)
    assert resident.status_code == 403
    assert resident.json()["code"] == "staff_only_board"
    manager = await forum.client.post(T, json=body, headers=person(community, "property_manager").headers)
    assert manager.status_code == 201


async def test_server_owned_fields_are_refused(forum: Forum) -> None:
    response = await forum.client.post(
        T,
        json={"board": "grievances", "title": "x", "body": "y", "author_id": str(uuid.uuid4())},
        headers=person(uuid.uuid4()).headers,
    )
    assert response.status_code == 422


async def test_first_day_cap_rate_limit_and_duplicates(forum: Forum) -> None:
    community = uuid.uuid4()
    newcomer = person(community)
    for n in range(3):
        await new_thread(forum, newcomer, f"新人帖{n}", f"大家好，我是新来的{n}")
    capped = await forum.client.post(
        T, json={"board": "grievances", "title": "第四帖", "body": "还想发"}, headers=newcomer.headers
    )
    assert capped.status_code == 429
    assert capped.json()["code"] == "first_day_cap"

    verified = person(community, household_id=uuid.uuid4())
    await verify_households(forum, [verified])
    thread = await new_thread(forum, verified, "重复测试", "第一次")
    duplicate = await forum.client.post(
        f"{T}/{thread['id']}/posts", json={"body": "同一句话"}, headers=verified.headers
    )
    assert duplicate.status_code == 201
    again = await forum.client.post(
        f"{T}/{thread['id']}/posts", json={"body": "同一句 话"}, headers=verified.headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_post"
    statuses = [
        (
            await forum.client.post(
                f"{T}/{thread['id']}/posts", json={"body": f"第{n}句"}, headers=verified.headers
            )
        ).status_code
        for n in range(6)
    ]
    assert 429 in statuses
    limited = next(
        r
        for r in [
            await forum.client.post(
                f"{T}/{thread['id']}/posts", json={"body": "再来"}, headers=verified.headers
            )
        ]
    )
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0


async def test_watched_words_block_hold_and_censor(forum: Forum) -> None:
    community = uuid.uuid4()
    mediator, author = person(community), person(community)
    await make_mediator(forum, mediator)
    for word, action in [("发票", "block"), ("代购", "require_approval"), ("傻瓜", "censor")]:
        put = await forum.client.put(
            "/api/v1/forum/moderation/watched-words",
            json={"word": word, "action": action},
            headers=mediator.headers,
        )
        assert put.status_code == 200
    resident_put = await forum.client.put(
        "/api/v1/forum/moderation/watched-words",
        json={"word": "x", "action": "block"},
        headers=author.headers,
    )
    assert resident_put.status_code == 403

    blocked = await forum.client.post(
        T, json={"board": "mutual_help", "title": "出售", "body": "代开发 票"}, headers=author.headers
    )
    assert blocked.status_code == 422
    assert blocked.json()["code"] == "content_blocked"
    censored = await new_thread(forum, author, "吵架", "你才是傻瓜")
    assert censored["opening_post"]["body"] == "你才是**"
    held = await new_thread(forum, author, "海外代购", "奶粉便宜")
    assert held["opening_post"]["status"] == "pending"
    assert held["opening_post"]["moderation"]["reason"] == "watched_word"
    bystander = person(community)
    assert (await forum.client.get(f"{T}/{held['id']}", headers=bystander.headers)).status_code == 404
    queue = (await forum.client.get("/api/v1/forum/moderation/queue", headers=mediator.headers)).json()[
        "items"
    ]
    item = next(i for i in queue if i["post"]["id"] == held["opening_post"]["id"])
    approved = await forum.client.post(
        f"/api/v1/forum/moderation/queue/{item['id']}/decision",
        json={"decision": "approve"},
        headers=mediator.headers,
    )
    assert approved.json()["status"] == "approved"
    assert (await forum.client.get(f"{T}/{held['id']}", headers=bystander.headers)).status_code == 200


async def test_flags_weighted_auto_hide_author_told_and_queue(forum: Forum) -> None:
    community = uuid.uuid4()
    author, mediator = person(community), person(community)
    newcomer = person(community)
    neighbours = [person(community, household_id=uuid.uuid4()) for _ in range(3)]
    await verify_households(forum, neighbours)
    await make_mediator(forum, mediator)
    thread = await new_thread(forum, author, "卖房", "低价卖房加我")
    post_id = thread["opening_post"]["id"]
    flag_url = f"/api/v1/forum/posts/{post_id}/flags"

    refused = await forum.client.post(flag_url, json={"reason": "spam"}, headers=newcomer.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "trust_too_low"
    first = await forum.client.post(flag_url, json={"reason": "spam"}, headers=neighbours[0].headers)
    assert first.status_code == 201
    assert first.json() == {"post_id": post_id, "weight": 1.0, "hidden": False}
    twice = await forum.client.post(flag_url, json={"reason": "spam"}, headers=neighbours[0].headers)
    assert twice.json()["weight"] == 0.0
    await forum.client.post(flag_url, json={"reason": "spam"}, headers=neighbours[1].headers)
    third = await forum.client.post(flag_url, json={"reason": "offensive"}, headers=neighbours[2].headers)
    assert third.json()["hidden"] is True

    # Hidden: gone for neighbours, visible to its author with why and by whom, and to mediators.
    assert (await forum.client.get(f"{T}/{thread['id']}", headers=neighbours[0].headers)).status_code == 404
    mine = (await forum.client.get(f"/api/v1/forum/posts/{post_id}", headers=author.headers)).json()
    assert mine["moderation"] == {"status": "hidden", "hidden_by": "system", "reason": "spam"}
    notice = (await forum.client.get("/api/v1/forum/me/notices", headers=author.headers)).json()["items"][0]
    assert notice["kind"] == "post_hidden"
    assert notice["detail"] == {"hidden_by": "system", "reason": "spam"}
    assert (
        await forum.client.get(f"/api/v1/forum/posts/{post_id}", headers=mediator.headers)
    ).status_code == 200

    # The queue: mediators and admins only.
    for outsider in (author, neighbours[0], person(community, "property_manager")):
        assert (
            await forum.client.get("/api/v1/forum/moderation/queue", headers=outsider.headers)
        ).status_code == 403
    admin = person(community, "admin")
    queue = (await forum.client.get("/api/v1/forum/moderation/queue", headers=admin.headers)).json()["items"]
    [item] = [i for i in queue if i["post"]["id"] == post_id]
    assert item["cause"] == "flags"
    assert len(item["flags"]) == 3
    decided = await forum.client.post(
        f"/api/v1/forum/moderation/queue/{item['id']}/decision",
        json={"decision": "reject"},
        headers=mediator.headers,
    )
    assert decided.json()["status"] == "rejected"
    log = (await forum.client.get("/api/v1/forum/moderation/log", headers=mediator.headers)).json()["items"]
    assert [entry["action"] for entry in log][:2] == ["reject", "auto_hidden"]
    assert log[1]["by"] == "system"
    assert log[0]["actor_id"] == str(mediator.id)
    # Upheld flags make the flaggers' next flags weigh more.
    other = await new_thread(forum, author, "再卖房", "真的低价")
    heavier = await forum.client.post(
        f"/api/v1/forum/posts/{other['opening_post']['id']}/flags",
        json={"reason": "spam"},
        headers=neighbours[0].headers,
    )
    assert heavier.json()["weight"] > 1.0


async def test_moderator_hides_a_post_and_the_author_is_told_a_person_did(forum: Forum) -> None:
    community = uuid.uuid4()
    author, mediator = person(community), person(community)
    await make_mediator(forum, mediator)
    thread = await new_thread(forum, author, "骂人", "难听的话")
    post_id = thread["opening_post"]["id"]
    resident_hide = await forum.client.post(
        f"/api/v1/forum/moderation/posts/{post_id}/hide", json={"reason": "offensive"}, headers=author.headers
    )
    assert resident_hide.status_code == 403
    hidden = await forum.client.post(
        f"/api/v1/forum/moderation/posts/{post_id}/hide",
        json={"reason": "offensive"},
        headers=mediator.headers,
    )
    assert hidden.json()["moderation"]["hidden_by"] == "moderator"
    mine = (await forum.client.get(f"/api/v1/forum/posts/{post_id}", headers=author.headers)).json()
    assert mine["moderation"] == {"status": "hidden", "hidden_by": "moderator", "reason": "offensive"}


async def test_trust_grows_after_the_first_day(forum: Forum) -> None:
    community = uuid.uuid4()
    newcomer = person(community)
    await new_thread(forum, newcomer, "你好", "新来的")
    assert (await forum.client.get("/api/v1/forum/me", headers=newcomer.headers)).json()["trust_level"] == 0
    forum.clock.offset += timedelta(days=1, minutes=1)
    try:
        assert (await forum.client.get("/api/v1/forum/me", headers=newcomer.headers)).json()[
            "trust_level"
        ] == 1
    finally:
        forum.clock.offset -= timedelta(days=1, minutes=1)


async def test_nul_characters_are_refused_not_stored(forum: Forum) -> None:
    who = person(uuid.uuid4())
    body = {"board": "grievances", "title": "a\u0000b", "body": "x"}
    assert (await forum.client.post(T, json=body, headers=who.headers)).status_code == 422
    assert (await forum.client.get(T, params={"q": "a\u0000b"}, headers=who.headers)).status_code == 422


async def test_idempotency_key_replays_the_first_thread(forum: Forum) -> None:
    who = person(uuid.uuid4())
    body = {"board": "mutual_help", "title": "借梯子", "body": "谁家有梯子"}
    headers = {**who.headers, "Idempotency-Key": "ladder-1"}
    first = await forum.client.post(T, json=body, headers=headers)
    again = await forum.client.post(T, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    other = await forum.client.post(T, json={**body, "body": "别的"}, headers=headers)
    assert other.status_code == 422
    listed = (await forum.client.get(T, headers=who.headers)).json()["items"]
    assert [t["id"] for t in listed] == [first.json()["id"]]


async def test_hidden_threads_leave_lists_and_search_except_for_author_and_moderators(forum: Forum) -> None:
    community = uuid.uuid4()
    author, neighbour, mediator = person(community), person(community), person(community)
    await make_mediator(forum, mediator)
    shown = await new_thread(forum, author, "暖气不热", "家里冷")
    hidden = await new_thread(forum, author, "暖气骂人", "难听的话")
    await forum.client.post(
        f"/api/v1/forum/moderation/posts/{hidden['opening_post']['id']}/hide",
        json={"reason": "offensive"},
        headers=mediator.headers,
    )
    for params in ({}, {"q": "暖气"}):
        seen = {
            who: [
                t["id"]
                for t in (await forum.client.get(T, params=params, headers=who.headers)).json()["items"]
            ]
            for who in (author, neighbour, mediator)
        }
        assert seen[neighbour] == [shown["id"]]
        assert set(seen[author]) == set(seen[mediator]) == {shown["id"], hidden["id"]}
