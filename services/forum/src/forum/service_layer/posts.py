"""Posts: replies, reading one, edits with history, likes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert

from forum.adapters.tables import (
    moderation_items,
    post_likes,
    post_revisions,
    posts,
    threads,
)
from forum.domain.moderation import (
    WatchAction,
    screen_text,
)
from forum.domain.text import Segmenter
from forum.service_layer.common import (
    Actor,
    BeforeCommit,
    PostingGuard,
    commit_created,
)
from forum.service_layer.posting import search_vector, watched, write_post
from forum.service_layer.thread_views import post_row, post_view, thread_row
from forum.service_layer.threads import get_thread
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError


async def reply(
    uow: UnitOfWork,
    actor: Actor,
    thread_id: uuid.UUID,
    *,
    body: str,
    mentions: list[uuid.UUID],
    guard: PostingGuard,
    now: datetime,
    before_commit: BeforeCommit | None = None,
) -> dict[str, Any]:
    thread = await thread_row(uow, actor, thread_id)
    await get_thread(uow, actor, thread_id)  # 404 when the thread is hidden from the caller
    written = await write_post(
        uow, actor, thread=thread, kind="reply", body=body, mentions=mentions, guard=guard, now=now
    )
    await uow.session.execute(update(threads).where(threads.c.id == thread_id).values(last_post_at=now))
    return await commit_created(uow, 201, await get_post(uow, actor, written["id"]), before_commit)


async def get_post(uow: UnitOfWork, actor: Actor, post_id: uuid.UUID) -> dict[str, Any]:
    row = await post_row(uow, actor, post_id)
    liked = (
        await uow.session.execute(
            select(post_likes.c.post_id).where(
                post_likes.c.post_id == post_id, post_likes.c.user_id == actor.id
            )
        )
    ).first()
    return post_view(row, actor, {post_id} if liked else set())


async def edit_post(
    uow: UnitOfWork, actor: Actor, post_id: uuid.UUID, *, body: str, segmenter: Segmenter, now: datetime
) -> dict[str, Any]:
    row = await post_row(uow, actor, post_id, lock=True)
    if row.author_id != actor.id or row.kind == "system":
        raise DomainError("thread_not_editable", 403)
    if body == row.body:
        return await get_post(uow, actor, post_id)
    screening = screen_text(body, await watched(uow, actor.community_id))
    if screening.action is WatchAction.BLOCK:
        raise DomainError("content_blocked", 422)
    if screening.action is WatchAction.CENSOR:
        body = screening.text
    await uow.session.execute(
        insert(post_revisions).values(
            id=uuid.uuid4(), community_id=actor.community_id, post_id=post_id, body=row.body, replaced_at=now
        )
    )
    values: dict[str, Any] = {"body": body, "edited_at": now}
    if screening.action is WatchAction.REQUIRE_APPROVAL and row.status == "visible":
        values["status"] = "pending"
        await uow.session.execute(
            insert(moderation_items).values(
                id=uuid.uuid4(),
                community_id=actor.community_id,
                post_id=post_id,
                cause="watched_word",
                detail={"words": list(screening.matched), "edit": True},
                status="open",
            )
        )
    await uow.session.execute(update(posts).where(posts.c.id == post_id).values(**values))
    if row.kind == "opening":
        thread = await thread_row(uow, actor, row.thread_id)
        await uow.session.execute(
            update(threads)
            .where(threads.c.id == row.thread_id)
            .values(search=search_vector(segmenter, thread.title, body))
        )
    await uow.commit()
    return await get_post(uow, actor, post_id)


async def post_history(uow: UnitOfWork, actor: Actor, post_id: uuid.UUID) -> dict[str, Any]:
    row = await post_row(uow, actor, post_id)
    revisions = (
        await uow.session.execute(
            select(post_revisions.c.body, post_revisions.c.replaced_at)
            .where(post_revisions.c.post_id == post_id)
            .order_by(post_revisions.c.replaced_at, post_revisions.c.id)
        )
    ).all()
    return {
        "post_id": post_id,
        "current": {"body": row.body, "since": row.edited_at or row.created_at},
        "revisions": [{"body": body, "replaced_at": at} for body, at in revisions],
    }


async def set_like(uow: UnitOfWork, actor: Actor, post_id: uuid.UUID, *, liked: bool) -> dict[str, Any]:
    row = await post_row(uow, actor, post_id, lock=True)
    if row.author_id == actor.id:
        raise DomainError("own_post", 409)
    if liked:
        changed = await uow.session.execute(
            pg_insert(post_likes)
            .values(post_id=post_id, user_id=actor.id, community_id=actor.community_id)
            .on_conflict_do_nothing()
            .returning(post_likes.c.post_id)
        )
        delta = 1 if changed.first() is not None else 0
    else:
        removed = await uow.session.execute(
            delete(post_likes)
            .where(post_likes.c.post_id == post_id, post_likes.c.user_id == actor.id)
            .returning(post_likes.c.post_id)
        )
        delta = -1 if removed.first() is not None else 0
    if delta:
        await uow.session.execute(
            update(posts).where(posts.c.id == post_id).values(like_count=posts.c.like_count + delta)
        )
    await uow.commit()
    return await get_post(uow, actor, post_id)
