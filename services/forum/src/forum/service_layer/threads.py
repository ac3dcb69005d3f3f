"""Threads: creating one, reading one with its posts, escalation, notices. Posts are in posts.py,
writing a post in posting.py, mentions in mentions.py, listing and search in thread_list.py."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    func,
    insert,
    select,
    update,
)

from contracts import ThreadEscalatedV1
from forum.adapters.tables import (
    notices,
    post_likes,
    posts,
    threads,
)
from forum.domain.text import Segmenter
from forum.service_layer.common import (
    Actor,
    BeforeCommit,
    PostingGuard,
    commit_created,
)
from forum.service_layer.posting import search_vector, write_post
from forum.service_layer.thread_views import post_view, thread_fields, thread_row, visible_to
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound
from servicekit.pagination import (
    newest_first,
    page_of,
)

ANNOUNCERS = frozenset({"property_manager", "property_staff", "committee", "admin"})


async def create_thread(
    uow: UnitOfWork,
    actor: Actor,
    *,
    board: str,
    title: str,
    body: str,
    building: str | None,
    mentions: list[uuid.UUID],
    segmenter: Segmenter,
    guard: PostingGuard,
    now: datetime,
    before_commit: BeforeCommit | None = None,
) -> dict[str, Any]:
    if board == "announcements" and not actor.user.has_any(*ANNOUNCERS):
        raise DomainError("staff_only_board", 403)
    thread_id = uuid.uuid4()
    await uow.session.execute(
        insert(threads).values(
            id=thread_id,
            community_id=actor.community_id,
            board=board,
            title=title,
            author_id=actor.id,
            building=building,
            last_post_at=now,
            created_at=now,
            search=search_vector(segmenter, title, body),
        )
    )
    thread = await thread_row(uow, actor, thread_id)
    await write_post(
        uow,
        actor,
        thread=thread,
        kind="opening",
        body=body,
        mentions=mentions,
        guard=guard,
        now=now,
        title=title,
    )
    return await commit_created(uow, 201, await get_thread(uow, actor, thread_id), before_commit)


async def get_thread(uow: UnitOfWork, actor: Actor, thread_id: uuid.UUID) -> dict[str, Any]:
    thread = await thread_row(uow, actor, thread_id)
    rows = (
        await uow.session.execute(
            select(posts)
            .where(posts.c.thread_id == thread_id, visible_to(actor))
            .order_by(posts.c.created_at, posts.c.id)
        )
    ).all()
    opening = next((r for r in rows if r.kind == "opening"), None)
    if opening is None:
        raise NotFound()  # its opening post is hidden from this caller
    liked = set(
        (
            await uow.session.execute(
                select(post_likes.c.post_id).where(
                    post_likes.c.user_id == actor.id, post_likes.c.post_id.in_([r.id for r in rows])
                )
            )
        ).scalars()
    )
    return {
        **thread_fields(thread),
        "opening_post": post_view(opening, actor, liked),
        "posts": [post_view(r, actor, liked) for r in rows if r.kind != "opening"],
    }


async def escalate(
    uow: UnitOfWork, actor: Actor, thread_id: uuid.UUID, *, suggested_category: str | None, now: datetime
) -> dict[str, Any]:
    """Publish forum.thread.escalated.v1 once per thread; asking again answers with the thread."""
    await get_thread(uow, actor, thread_id)
    thread = await thread_row(uow, actor, thread_id, lock=True)
    if not (thread.author_id == actor.id or actor.is_mediator or actor.is_manager):
        raise DomainError("forbidden", 403)
    if thread.escalated_at is None:
        opening = (
            await uow.session.execute(
                select(posts.c.body).where(posts.c.thread_id == thread_id, posts.c.kind == "opening")
            )
        ).scalar_one()
        await uow.session.execute(
            update(threads).where(threads.c.id == thread_id).values(escalated_at=now, escalated_by=actor.id)
        )
        uow.emit(
            ThreadEscalatedV1(
                community_id=actor.community_id,
                thread_id=thread_id,
                author_id=thread.author_id,
                escalated_by=actor.id,
                board=thread.board,
                title=thread.title,
                body=opening,
                building=thread.building,
                suggested_category=suggested_category,
            ),
            actor_id=actor.id,
        )
        await uow.commit()
    return await get_thread(uow, actor, thread_id)


async def list_notices(
    uow: UnitOfWork, actor: Actor, *, limit: int, cursor: str | None, since_days: int = 90
) -> dict[str, Any]:
    query = select(notices).where(
        notices.c.community_id == actor.community_id,
        notices.c.user_id == actor.id,
        notices.c.created_at >= func.now() - timedelta(days=since_days),
    )
    rows, next_cursor = page_of(
        (
            await uow.session.execute(
                newest_first(
                    query, key=notices.c.created_at, id_column=notices.c.id, cursor=cursor, limit=limit
                )
            )
        ).all(),
        limit,
        lambda r: (r.created_at, r.id),
    )
    return {
        "items": [
            {
                "id": r.id,
                "kind": r.kind,
                "thread_id": r.thread_id,
                "post_id": r.post_id,
                "detail": r.detail,
                "created_at": r.created_at,
            }
            for r in rows
        ],
        "next_cursor": next_cursor,
    }
