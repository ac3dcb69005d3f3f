"""The community lexicon through the API (committee edits, problems in three languages), search
that hears synonyms, traditional characters, typos and word boundaries (高考 / 高考生), and a
hotspot from three repair reports of one category with no post at all."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from contracts import Envelope, ReportSubmittedV1
from servicekit.testing import new_namespace
from tests.forum.helpers import Forum, eventually, person, publish_envelopes, running_forum

T = "/api/v1/forum/threads"
L = "/api/v1/forum/lexicon"


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[Forum]:
    async with running_forum(new_namespace()) as running:
        yield running


async def titles(forum: Forum, who: object, q: str) -> list[str]:
    response = await forum.client.get(T, params={"q": q}, headers=who.headers)  # type: ignore[attr-defined]
    assert response.status_code == 200, response.text
    return [t["title"] for t in response.json()["items"]]


async def test_search_hears_synonyms_traditional_typos_and_word_boundaries(forum: Forum) -> None:
    community = uuid.uuid4()
    author = person(community)
    for title, body in (
        ("广场舞扰民", "晚上十点还在跳，音响太响"),
        ("家里有高考生", "请楼上晚上小声一点"),
        ("電梯又壞了", "老人只能爬樓"),
        ("楼上渗水", "卫生间顶上一直往下滴"),
        ("转让婴儿车", "九成新，谁家需要"),
    ):
        created = await forum.client.post(  # each by another neighbour (new members' first-day cap)
            T, json={"board": "grievances", "title": title, "body": body}, headers=person(community).headers
        )
        assert created.status_code == 201, created.text
    for q in ("噪音", "噪声", "扰民"):
        assert await titles(forum, author, q) == ["广场舞扰民"], q
    assert await titles(forum, author, "高考") == ["家里有高考生"]
    assert await titles(forum, author, "电梯坏了") == ["電梯又壞了"]  # simplified finds traditional
    assert await titles(forum, author, "電梯") == ["電梯又壞了"]
    assert await titles(forum, author, "电悌") == ["電梯又壞了"]  # a typo finds the word meant
    assert await titles(forum, author, "漏水") == ["楼上渗水"]
    assert await titles(forum, author, "婴儿车") == ["转让婴儿车"]
    assert await titles(forum, author, "暖气") == []


async def test_the_committee_extends_the_lexicon_and_search_hears_it_at_once(forum: Forum) -> None:
    community = uuid.uuid4()
    author, committee, manager = (
        person(community),
        person(community, "committee"),
        person(community, "property_manager"),
    )
    await forum.client.post(
        T, json={"board": "grievances", "title": "升降机又停了", "body": "三单元的"}, headers=author.headers
    )
    assert await titles(forum, author, "电梯") == []
    entry = {"word": "升降机", "kind": "synonym", "topic": "电梯"}
    for who in (author, manager):
        assert (await forum.client.put(f"{L}/entries", json=entry, headers=who.headers)).status_code == 403
    put = await forum.client.put(f"{L}/entries", json=entry, headers=committee.headers)
    assert put.status_code == 200, put.text
    assert put.json()["word"] == "升降机"
    assert await titles(forum, author, "电梯") == ["升降机又停了"]
    other = person(uuid.uuid4())  # another community's lexicon is its own
    await forum.client.post(
        T, json={"board": "grievances", "title": "升降机又停了", "body": "三单元的"}, headers=other.headers
    )
    assert await titles(forum, other, "电梯") == []

    read = (await forum.client.get(L, headers=manager.headers)).json()
    assert [e["word"] for e in read["entries"]] == ["升降机"]
    lifts = next(t for t in read["topics"] if t["name"] == "电梯")
    assert "升降机" in lifts["synonyms"]
    assert "困人" in lifts["related"]
    assert "谁家" in read["stop_words"]
    assert (await forum.client.get(L, headers=author.headers)).status_code == 403

    for body, code in (
        ({"word": "升降机", "kind": "synonym"}, "lexicon_topic_required"),
        ({"word": "1楼", "kind": "stop"}, "lexicon_word_invalid"),
    ):
        for locale, expected in (
            ("zh-CN", "缺少主题" if code.endswith("required") else "词语无效"),
            ("en", None),
        ):
            refused = await forum.client.put(
                f"{L}/entries", json=body, headers={**committee.headers, "Accept-Language": locale}
            )
            assert refused.status_code == 422
            assert refused.json()["code"] == code
            if expected:
                assert refused.json()["title"] == expected
    assert (
        await forum.client.put(f"{L}/entries", json={**entry, "extra": 1}, headers=committee.headers)
    ).status_code == 422

    assert (await forum.client.delete(f"{L}/entries/升降机", headers=committee.headers)).status_code == 204
    assert (await forum.client.delete(f"{L}/entries/升降机", headers=committee.headers)).status_code == 404
    assert await titles(forum, author, "电梯") == []


async def test_three_reports_of_one_category_are_a_hotspot_without_posts(forum: Forum) -> None:
    community = uuid.uuid4()
    resident, manager = person(community), person(community, "property_manager")
    now = forum.clock()
    report_ids = [uuid.uuid4() for _ in range(3)]
    envelopes = [
        Envelope.wrap(
            ReportSubmittedV1(
                community_id=community,
                report_id=report_id,
                reporter_id=resident.id,
                category="lifts",
                department="property",
                building="6号楼",
                public_area=True,
                due_accept_at=now,
                due_resolve_at=now,
            ),
            producer="reports",
            occurred_at=now - timedelta(days=1 if n == 0 else 0),
        )
        for n, report_id in enumerate(report_ids)
    ]
    await publish_envelopes(forum.settings, envelopes)

    async def counted() -> bool:
        from sqlalchemy import func, select

        from forum.adapters.tables import keyword_mentions

        async with forum.app.state.runtime.uow() as uow:
            rows = await uow.session.execute(
                select(func.count()).where(keyword_mentions.c.community_id == community)
            )
            return rows.scalar_one() == 3

    await eventually(counted, what="reports counted")
    await forum.app.state.jobs.run_once(now)
    listed = (await forum.client.get("/api/v1/forum/hotspots", headers=manager.headers)).json()["items"]
    assert [(h["keyword"], h["building"]) for h in listed] == [("电梯", "6号楼")]
    assert set(listed[0]["evidence_report_ids"]) == {str(i) for i in report_ids}
    assert listed[0]["reason"]["rule"] == "reports"
    assert listed[0]["reason"]["reports"] == 3
