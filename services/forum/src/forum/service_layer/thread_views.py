"""Thread and post rows as a member may see them, and how they are rendered."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Row,
    literal,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from forum.adapters.tables import (
    posts,
    threads,
)
from forum.service_layer.common import (
    Actor,
)
from servicekit.db import UnitOfWork
from servicekit.errors import NotFound


async def thread_row(uow: UnitOfWork, actor: Actor, thread_id: uuid.UUID, *, lock: bool = False) -> Row[Any]:
    query = select(threads).where(threads.c.id == thread_id, threads.c.community_id == actor.community_id)
    if lock:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise NotFound()
    return row


def visible_to(actor: Actor) -> ColumnElement[bool]:
    if actor.is_moderator:
        return literal(True)
    return or_(posts.c.status == "visible", posts.c.author_id == actor.id)


def post_view(row: Any, actor: Actor, liked: set[uuid.UUID] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row.id,
        "thread_id": row.thread_id,
        "author_id": row.author_id,
        "kind": row.kind,
        "body": row.body,
        "status": row.status,
        "like_count": row.like_count,
        "liked_by_me": row.id in (liked or set()),
        "edited_at": row.edited_at,
        "created_at": row.created_at,
        "moderation": None,
    }
    if row.status != "visible":
        # The author is told why and whether a person or the system acted; so are moderators.
        view["moderation"] = {
            "status": row.status,
            "hidden_by": row.hidden_by,
            "reason": row.hidden_reason or ("watched_word" if row.status == "pending" else None),
        }
        if actor.is_moderator:
            view["flag_weight"] = row.flag_weight
    return view


def thread_fields(thread: Any) -> dict[str, Any]:
    return {
        "id": thread.id,
        "board": thread.board,
        "title": thread.title,
        "author_id": thread.author_id,
        "building": thread.building,
        "created_at": thread.created_at,
        "last_post_at": thread.last_post_at,
        "escalated_at": thread.escalated_at,
        "report_id": thread.report_id,
    }


async def post_row(uow: UnitOfWork, actor: Actor, post_id: uuid.UUID, *, lock: bool = False) -> Row[Any]:
    query = select(posts).where(
        posts.c.id == post_id, posts.c.community_id == actor.community_id, visible_to(actor)
    )
    if lock:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise NotFound()
    return row
