"""What the forum learns from other services' events: households, mediators, and the progress
of reports escalated from threads (echoed as system posts), plus keyword mentions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from contracts import Envelope
from forum.adapters.tables import households, mediators, posts, threads
from forum.domain.hotspots import Mention, mentions_of
from forum.domain.lexicon import Tone
from forum.domain.text import Segmenter
from forum.service_layer.hotspots import (
    CATEGORY_KEYWORDS,
    UNINFORMATIVE_CATEGORIES,
    local_day,
    record_mentions,
)
from forum.service_layer.lexicon import community_lexicon
from servicekit.db import UnitOfWork

STATUS_WORDS = {
    "submitted": "已提交",
    "accepted": "已受理",
    "assigned": "已派单",
    "in_progress": "处理中",
    "paused": "暂停处理",
    "resolved": "已解决",
    "closed": "已关闭",
    "reopened": "重新打开",
    "rejected": "已驳回",
    "cancelled": "已取消",
}


async def household_verified(uow: UnitOfWork, envelope: Envelope, payload: Any) -> None:
    statement = pg_insert(households).values(
        community_id=payload.community_id,
        user_id=payload.user_id,
        household_id=payload.household_id,
        building=payload.building,
        verified_at=envelope.occurred_at,
    )
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["community_id", "user_id"],
            set_={"household_id": statement.excluded.household_id, "building": statement.excluded.building},
        )
    )


async def role_changed(uow: UnitOfWork, envelope: Envelope, payload: Any, *, granted: bool) -> None:
    if payload.role != "mediator":
        return
    if granted:
        await uow.session.execute(
            pg_insert(mediators)
            .values(
                community_id=payload.community_id, user_id=payload.user_id, granted_at=envelope.occurred_at
            )
            .on_conflict_do_nothing()
        )
    else:
        await uow.session.execute(
            delete(mediators).where(
                mediators.c.community_id == payload.community_id, mediators.c.user_id == payload.user_id
            )
        )


async def post_created(
    uow: UnitOfWork, envelope: Envelope, payload: Any, *, segmenter: Segmenter, timezone: str
) -> None:
    lexicon = await community_lexicon(uow, payload.community_id)
    await record_mentions(
        uow,
        community_id=payload.community_id,
        building=payload.building,
        day=local_day(envelope.occurred_at, timezone),
        mentions=mentions_of(segmenter.read(payload.text, lexicon), str(payload.post_id)),
        source_kind="post",
        source_id=payload.post_id,
    )


async def report_event(uow: UnitOfWork, envelope: Envelope, payload: Any, *, timezone: str) -> None:
    """A report's life echoed into the thread it came from (once per event: the inbox, and the
    event id on the system post), and a new report counted for hotspots by its category."""
    kind = envelope.event_type.split(".")[2]
    if kind == "submitted" and payload.category not in UNINFORMATIVE_CATEGORIES:
        keyword = CATEGORY_KEYWORDS.get(payload.category, payload.category)
        await record_mentions(
            uow,
            community_id=payload.community_id,
            building=payload.building,
            day=local_day(envelope.occurred_at, timezone),
            mentions=[
                (keyword, Mention(f"report:{payload.report_id}", "report", Tone.COMPLAINT, (keyword,)))
            ],
            source_kind="report",
            source_id=payload.report_id,
        )
    if payload.source_thread_id is None:
        return
    thread = (
        await uow.session.execute(
            select(threads.c.id).where(
                threads.c.id == payload.source_thread_id, threads.c.community_id == payload.community_id
            )
        )
    ).first()
    if thread is None:
        return
    if kind == "submitted":
        text = f"已转为报修单（{payload.category}），物业将跟进处理。"
        await uow.session.execute(
            update(threads)
            .where(threads.c.id == payload.source_thread_id)
            .values(report_id=payload.report_id)
        )
    elif kind == "status_changed":
        before = STATUS_WORDS.get(payload.from_status, payload.from_status)
        after = STATUS_WORDS.get(payload.to_status, payload.to_status)
        text = f"报修单进度：{before} → {after}"
    elif kind == "rated":
        text = f"报修人已评价：总体 {payload.overall} 星"
    else:
        return
    await uow.session.execute(
        pg_insert(posts)
        .values(
            id=uuid.uuid4(),
            community_id=payload.community_id,
            thread_id=payload.source_thread_id,
            author_id=None,
            kind="system",
            body=text,
            status="visible",
            source_event_id=envelope.event_id,
            created_at=envelope.occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["source_event_id"])
    )
