"""Writing a post (a thread's first post or a reply): the search vector, watched words, the
first-day caps, the row and its mentions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from forum.adapters.tables import (
    moderation_items,
    moderation_log,
    posts,
    watched_words,
)
from forum.domain.moderation import (
    FIRST_DAY,
    FIRST_DAY_REPLY_CAP,
    FIRST_DAY_THREAD_CAP,
    WatchAction,
    WatchedWord,
    screen_text,
)
from forum.domain.text import Segmenter
from forum.service_layer.common import (
    Actor,
    PostingGuard,
    notify,
    require_community_members,
)
from forum.service_layer.mentions import announce_post, resolve_mentions
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError


def search_vector(segmenter: Segmenter, title: str, body: str) -> ColumnElement[Any]:
    """Title tokens weigh A, body tokens B; tokens come from jieba, so PostgreSQL's 'simple'
    configuration only lower-cases and stores them."""
    title_tokens = " ".join(segmenter.search_tokens(title))
    body_tokens = " ".join(segmenter.search_tokens(body))
    return func.setweight(func.to_tsvector("simple", title_tokens), literal_column("'A'")).op("||")(
        func.setweight(func.to_tsvector("simple", body_tokens), literal_column("'B'"))
    )


async def watched(uow: UnitOfWork, community_id: uuid.UUID) -> list[WatchedWord]:
    rows = await uow.session.execute(
        select(watched_words.c.word, watched_words.c.action).where(
            watched_words.c.community_id == community_id
        )
    )
    return [WatchedWord(word, WatchAction(action)) for word, action in rows]


async def _first_day_cap(uow: UnitOfWork, actor: Actor, kind: str, now: datetime) -> None:
    if actor.trust > 0:
        return
    cap, what = (FIRST_DAY_THREAD_CAP, "threads") if kind == "opening" else (FIRST_DAY_REPLY_CAP, "replies")
    since = max(actor.first_seen_at, now - FIRST_DAY)
    count = (
        await uow.session.execute(
            select(func.count())
            .select_from(posts)
            .where(
                posts.c.community_id == actor.community_id,
                posts.c.author_id == actor.id,
                posts.c.kind == kind,
                posts.c.created_at >= since,
            )
        )
    ).scalar_one()
    if count >= cap:
        raise DomainError("first_day_cap", 429, cap=cap, what=what)


async def write_post(
    uow: UnitOfWork,
    actor: Actor,
    *,
    thread: Row[Any],
    kind: str,
    body: str,
    mentions: list[uuid.UUID],
    guard: PostingGuard,
    now: datetime,
    title: str = "",
) -> dict[str, Any]:
    """Screen, limit, insert and announce one post of `actor` in `thread` (inserted already)."""
    await require_community_members(uow, actor, mentions)
    mentions = await resolve_mentions(uow, actor, f"{title}\n{body}", mentions)
    await _first_day_cap(uow, actor, kind, now)
    screening = screen_text(f"{title}\n{body}", await watched(uow, actor.community_id))
    if screening.action is WatchAction.BLOCK:
        raise DomainError("content_blocked", 422)
    await guard.check(uow, actor.community_id, actor.id, f"{title}\n{body}", now)
    if screening.action is WatchAction.CENSOR:
        body = screen_text(body, [WatchedWord(w, WatchAction.CENSOR) for w in screening.matched]).text
    status = "pending" if screening.action is WatchAction.REQUIRE_APPROVAL else "visible"
    post_id = uuid.uuid4()
    await uow.session.execute(
        insert(posts).values(
            id=post_id,
            community_id=actor.community_id,
            thread_id=thread.id,
            author_id=actor.id,
            kind=kind,
            body=body,
            status=status,
            created_at=now,
        )
    )
    if status == "pending":
        await uow.session.execute(
            insert(moderation_items).values(
                id=uuid.uuid4(),
                community_id=actor.community_id,
                post_id=post_id,
                cause="watched_word",
                detail={"words": list(screening.matched)},
                status="open",
            )
        )
        await uow.session.execute(
            insert(moderation_log).values(
                id=uuid.uuid4(),
                community_id=actor.community_id,
                post_id=post_id,
                actor_id=None,
                action="held_for_approval",
                detail={"words": list(screening.matched)},
            )
        )
    else:
        await announce_post(
            uow,
            post_id=post_id,
            thread=thread,
            author_id=actor.id,
            text=f"{title}\n{body}",
            mentions=mentions,
        )
    # The in-forum notice is written even while the post waits for approval: it is also the
    # record `decide` reads the mentions back from when the post is approved.
    for mentioned in dict.fromkeys(mentions):
        if mentioned != actor.id:
            await notify(
                uow,
                community_id=actor.community_id,
                user_id=mentioned,
                kind="mention",
                thread_id=thread.id,
                post_id=post_id,
                detail={"by": str(actor.id), "title": thread.title},
            )
    return {"id": post_id, "body": body, "status": status}
