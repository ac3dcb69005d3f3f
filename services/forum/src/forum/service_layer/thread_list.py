"""Listing threads: newest first, or ranked by a full-text search over the newest matches."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    and_,
    func,
    or_,
    select,
)
from sqlalchemy import text as sql_text

from forum.adapters.tables import (
    posts,
    threads,
)
from forum.domain.text import Segmenter
from forum.service_layer.common import (
    Actor,
)
from forum.service_layer.lexicon import community_lexicon
from forum.service_layer.thread_views import thread_fields
from servicekit.db import UnitOfWork
from servicekit.pagination import (
    CursorModel,
    CursorOffset,
    CursorTime,
    encode_cursor,
    read_cursor,
)

# A ranked search ranks the newest this many matches (pages end there).
SEARCH_CANDIDATES = 200


class _RankedCursor(CursorModel):
    """The next page of a ranked search: how many results came before it."""

    offset: CursorOffset


class _NewestCursor(CursorModel):
    created_at: CursorTime
    id: uuid.UUID


async def list_threads(
    uow: UnitOfWork,
    actor: Actor,
    *,
    board: str | None,
    building: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
    segmenter: Segmenter,
) -> dict[str, Any]:
    """A page of threads, newest first, or ranked by `q`. The page's ids are chosen on narrow
    rows (so PostgreSQL keeps a top-N heap instead of sorting whole rows), then the page is
    read; threads whose opening post is hidden drop out unless the caller wrote it or moderates."""
    page = select(threads.c.id, threads.c.created_at).where(threads.c.community_id == actor.community_id)
    if not actor.is_moderator:
        hidden = posts.alias("hidden")
        page = page.where(
            ~select(hidden.c.id)
            .where(
                hidden.c.thread_id == threads.c.id,
                hidden.c.kind == "opening",
                hidden.c.status != "visible",
                hidden.c.author_id.is_distinct_from(actor.id),
            )
            .exists()
        )
    if board:
        page = page.where(threads.c.board == board)
    if building:
        page = page.where(threads.c.building == building)
    ranks: dict[uuid.UUID, float] = {}
    if q:
        lexicon = await community_lexicon(uow, actor.community_id)
        query_text, rank_text = segmenter.search_queries(q, lexicon)
        if query_text is None:
            return {"items": [], "next_cursor": None}
        ts_query = func.to_tsquery("simple", query_text)
        rank_query = func.to_tsquery("simple", rank_text)
        ranked = read_cursor(cursor, _RankedCursor)  # 400 invalid_cursor for any other shape
        offset = ranked.offset if ranked is not None else 0
        # A plan for this query's words, never the generic plan of a cached prepared statement
        # (blind to how common the words are, it ranks every match: 10-100 times slower).
        await uow.session.execute(sql_text("SET LOCAL plan_cache_mode = force_custom_plan"))
        # Ranked among the newest SEARCH_CANDIDATES matches: PostgreSQL stops at them (walking
        # the newest threads for a common word, the GIN index for a rare one) instead of ranking
        # every match of a common word.
        candidates = (
            page.add_columns(threads.c.search)
            .where(threads.c.search.op("@@")(ts_query))
            .order_by(threads.c.created_at.desc(), threads.c.id.desc())
            .limit(SEARCH_CANDIDATES)
            .subquery()
        )
        rank = func.ts_rank(candidates.c.search, rank_query).label("rank")
        page = (
            select(candidates.c.id, candidates.c.created_at, rank)
            .order_by(rank.desc(), candidates.c.created_at.desc(), candidates.c.id.desc())
            .offset(offset)
            .limit(limit + 1)
        )
        chosen = (await uow.session.execute(page)).all()
        ranks = {row.id: float(row.rank) for row in chosen}
        next_cursor = encode_cursor({"offset": offset + limit}) if len(chosen) > limit else None
    else:
        position = read_cursor(cursor, _NewestCursor)
        if position is not None:
            at, last_id = position.created_at, position.id
            page = page.where(
                or_(threads.c.created_at < at, and_(threads.c.created_at == at, threads.c.id < last_id))
            )
        page = page.order_by(threads.c.created_at.desc(), threads.c.id.desc()).limit(limit + 1)
        chosen = (await uow.session.execute(page)).all()
        next_cursor = (
            encode_cursor(
                {"created_at": chosen[limit - 1].created_at.isoformat(), "id": str(chosen[limit - 1].id)}
            )
            if len(chosen) > limit
            else None
        )
    ids = [row.id for row in chosen[:limit]]
    opening = posts.alias("opening")
    shown = [column for column in threads.c if column.name != "search"]
    rows = {
        row.id: row
        for row in (
            await uow.session.execute(
                select(*shown, opening.c.body.label("opening_body"), opening.c.status.label("opening_status"))
                .join(opening, and_(opening.c.thread_id == threads.c.id, opening.c.kind == "opening"))
                .where(threads.c.id.in_(ids))
            )
        ).all()
    }
    items = []
    for thread_id in ids:
        row = rows[thread_id]
        item = thread_fields(row)
        item["excerpt"] = row.opening_body[:120]
        item["opening_status"] = row.opening_status
        if q:
            item["rank"] = round(ranks[thread_id], 6)
        items.append(item)
    return {"items": items, "next_cursor": next_cursor}
