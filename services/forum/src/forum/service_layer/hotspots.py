"""Hotspots (未诉先办): topic and keyword mentions from posts and report events, per building
and day, with each text's tone and words, detected as bursts against the building's rate with the
community's as the prior (forum.domain.hotspots), named and explained."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from contracts import HotspotDetectedV1
from forum.adapters.tables import hotspots, keyword_mentions
from forum.config import Settings
from forum.domain.hotspots import BurstDetector, Mention, MentionCounter, explain, group_bursts
from forum.domain.lexicon import Lexicon, Tone
from forum.domain.text import Segmenter
from forum.service_layer import deliberations as deliberation_cases
from forum.service_layer.common import Actor
from forum.service_layer.lexicon import community_lexicon
from servicekit.db import UnitOfWork
from servicekit.errors import NotFound
from servicekit.pagination import newest_first, page_of

# Report categories carry no text; the reports service's seeded category codes name the matter in
# the residents' words. A manager-made category counts under its own code; "other" says nothing.
CATEGORY_KEYWORDS = {  # -> topics of forum.domain.lexicon
    "heating": "暖气",
    "stairwell_lighting": "楼道灯",
    "lifts": "电梯",
    "water_drains": "下水道",
    "walls_roofs": "漏水",
    "noise": "噪音",
    "sanitation": "垃圾",
    "parking_ebikes": "停车",
    "ebike_charging_hazard": "飞线充电",
    "safety_hazard": "安全隐患",
    "unlicensed_vendors": "占道",
    "greenery": "绿化带",
}
UNINFORMATIVE_CATEGORIES = frozenset({"other"})


def local_day(at: datetime, timezone: str) -> date:
    return at.astimezone(ZoneInfo(timezone)).date()


async def record_mentions(
    uow: UnitOfWork,
    *,
    community_id: uuid.UUID,
    building: str | None,
    day: date,
    mentions: list[tuple[str, Mention]],
    source_kind: str,
    source_id: uuid.UUID,
) -> None:
    """Store what one post or report counts under (praise and greetings count under nothing)."""
    counted = [(keyword, m) for keyword, m in mentions if m.counted]
    if not counted:
        return
    await uow.session.execute(
        pg_insert(keyword_mentions)
        .values(
            [
                {
                    "community_id": community_id,
                    "building": building or "",
                    "keyword": keyword[:64],
                    "source_kind": source_kind,
                    "source_id": source_id,
                    "day": day,
                    "tone": mention.tone.value,
                    "words": list(mention.words)[:8],
                    "cues": list(mention.cues)[:8],
                }
                for keyword, mention in sorted(counted, key=lambda item: item[0])
            ]
        )
        .on_conflict_do_nothing()
    )


async def detect(
    uow: UnitOfWork, *, detector: BurstDetector, segmenter: Segmenter, settings: Settings, now: datetime
) -> list[uuid.UUID]:
    """Find bursts whose window ends today or yesterday (community time) in every community,
    store each new one and publish forum.hotspot.detected.v1. Stored hotspots keep their
    (building, keyword) and related words quiet for the detector's cooldown, so running again
    finds nothing new."""
    zone = ZoneInfo(settings.community_timezone)
    today = local_day(now, settings.community_timezone)
    first = today - timedelta(days=detector.history_days + max(detector.windows) + 1)
    rows = (
        await uow.session.execute(
            select(
                keyword_mentions.c.community_id,
                keyword_mentions.c.building,
                keyword_mentions.c.keyword,
                keyword_mentions.c.day,
                keyword_mentions.c.source_kind,
                keyword_mentions.c.source_id,
                keyword_mentions.c.tone,
                keyword_mentions.c.words,
                keyword_mentions.c.cues,
            ).where(keyword_mentions.c.day >= first, keyword_mentions.c.day <= today)
        )
    ).all()
    counters: dict[uuid.UUID, MentionCounter] = defaultdict(MentionCounter)
    for community_id, building, keyword, day, kind, source_id, tone, words, cues in rows:
        counters[community_id].add_mention(
            building or None,
            day,
            keyword,
            Mention(f"{kind}:{source_id}", kind, Tone(tone), tuple(words or ()), tuple(cues or ())),
        )
    created: list[uuid.UUID] = []
    for community_id, counter in counters.items():
        lexicon = await community_lexicon(uow, community_id)
        quiet: dict[tuple[str | None, str], date] = {}
        stored = (
            await uow.session.execute(
                select(
                    hotspots.c.building, hotspots.c.keyword, hotspots.c.related, hotspots.c.window_end
                ).where(
                    hotspots.c.community_id == community_id,
                    hotspots.c.window_end >= datetime.combine(first, time(), zone),
                )
            )
        ).all()
        for building, keyword, related, window_end in stored:
            until = local_day(window_end, settings.community_timezone) + timedelta(
                days=detector.cooldown_days
            )
            for word in [keyword, *related]:
                key = (building, word)
                quiet[key] = max(quiet.get(key, until), until)

        def is_topic(keyword: str, lexicon: Lexicon = lexicon) -> bool:
            return keyword in lexicon.topics

        bursts = detector.scan(
            counter.counts,
            since=today - timedelta(days=1),
            until=today,
            quiet_until=quiet,
            topics=is_topic,
            complaints=counter.complaints,
            reports=counter.reports,
            origin=counter.first_day,
        )
        for hotspot in group_bursts(bursts, counter.evidence_between, lexicon.naming_rank):
            burst = hotspot.burst
            post_ids = [uuid.UUID(e[5:]) for e in hotspot.evidence if e.startswith("post:")]
            report_ids = [uuid.UUID(e[7:]) for e in hotspot.evidence if e.startswith("report:")]
            hotspot_id = uuid.uuid4()
            window_start = datetime.combine(burst.start, time(), zone)
            window_end = datetime.combine(burst.end, time(), zone)
            await uow.session.execute(
                insert(hotspots).values(
                    id=hotspot_id,
                    community_id=community_id,
                    keyword=burst.keyword,
                    building=burst.building,
                    related=list(hotspot.related),
                    window_start=window_start,
                    window_end=window_end,
                    count=burst.count,
                    baseline=burst.baseline,
                    score=burst.score,
                    evidence_post_ids=[str(i) for i in post_ids],
                    evidence_report_ids=[str(i) for i in report_ids],
                    reason=explain(
                        burst, counter.between(burst.building, burst.keyword, burst.start, burst.end)
                    ),
                    created_at=now,
                )
            )
            uow.emit(
                HotspotDetectedV1(
                    community_id=community_id,
                    hotspot_id=hotspot_id,
                    keyword=burst.keyword,
                    building=burst.building,
                    window_start=window_start,
                    window_end=window_end,
                    count=burst.count,
                    baseline=burst.baseline,
                    score=burst.score,
                    evidence_post_ids=post_ids,
                    evidence_report_ids=report_ids,
                )
            )
            created.append(hotspot_id)
    await uow.commit()
    return created


def _view(row: Any) -> dict[str, Any]:
    start = row.window_start
    return {
        "id": row.id,
        "keyword": row.keyword,
        "related_keywords": row.related,
        "building": row.building,
        "week": f"{start.isocalendar().year}-W{start.isocalendar().week:02d}",
        "window_start": row.window_start,
        "window_end": row.window_end,
        "count": row.count,
        "baseline": row.baseline,
        "score": row.score,
        "evidence_post_ids": row.evidence_post_ids,
        "evidence_report_ids": row.evidence_report_ids,
        "reason": row.reason,
        "deliberation_id": row.deliberation_id,
        "detected_at": row.created_at,
    }


async def list_hotspots(
    uow: UnitOfWork,
    actor: Actor,
    *,
    building: str | None,
    keyword: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    query = select(hotspots).where(hotspots.c.community_id == actor.community_id)
    if building:
        query = query.where(hotspots.c.building == building)
    if keyword:
        query = query.where(hotspots.c.keyword == keyword)
    rows, next_cursor = page_of(
        (
            await uow.session.execute(
                newest_first(
                    query,
                    key=hotspots.c.window_start,
                    id_column=hotspots.c.id,
                    cursor=cursor,
                    limit=limit,
                )
            )
        ).all(),
        limit,
        lambda r: (r.window_start, r.id),
    )
    return {"items": [_view(r) for r in rows], "next_cursor": next_cursor}


async def to_deliberation(
    uow: UnitOfWork, actor: Actor, hotspot_id: uuid.UUID, *, settings: Settings, now: datetime
) -> tuple[dict[str, Any], bool]:
    """One call: the hotspot becomes a 议事 topic (once; asking again returns the same topic)."""
    row = (
        await uow.session.execute(
            select(hotspots)
            .where(hotspots.c.id == hotspot_id, hotspots.c.community_id == actor.community_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise NotFound()
    if row.deliberation_id is not None:
        return await deliberation_cases.get_deliberation(uow, actor, row.deliberation_id), False
    place = f"{row.building}" if row.building else "小区"
    title = f"{place}“{row.keyword}”问题集中反映，议一议怎么办"
    body = (
        f"{row.window_start:%Y-%m-%d} 起 {place} 有 {row.count} 条帖子和报事提到“{row.keyword}”"
        f"（平常约 {row.baseline:g} 条）。请住户说说情况和想法。"
    )
    created = await deliberation_cases.open_deliberation(
        uow,
        actor,
        title=title,
        body=body,
        building=row.building,
        settings=settings,
        now=now,
        hotspot_id=hotspot_id,
    )
    await uow.session.execute(
        update(hotspots).where(hotspots.c.id == hotspot_id).values(deliberation_id=created["id"])
    )
    await uow.commit()
    return await deliberation_cases.get_deliberation(uow, actor, created["id"]), True
