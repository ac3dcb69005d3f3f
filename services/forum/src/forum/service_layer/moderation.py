"""Flags weighted by trust and accuracy, auto-hiding, the moderation queue, the audit log and the
watched-words list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from forum.adapters.tables import (
    flags,
    members,
    moderation_items,
    moderation_log,
    posts,
    threads,
    watched_words,
)
from forum.domain.moderation import MODERATION_ITEM, Decision, ItemStatus, flag_weight, should_auto_hide
from forum.service_layer.common import Actor, notify
from forum.service_layer.mentions import announce_post, mentioned_in
from forum.service_layer.posts import get_post
from forum.service_layer.thread_views import post_view
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound
from servicekit.pagination import newest_first, page_of


async def _log(
    uow: UnitOfWork,
    actor_id: uuid.UUID | None,
    community_id: uuid.UUID,
    post_id: uuid.UUID | None,
    action: str,
    detail: dict[str, Any],
) -> None:
    await uow.session.execute(
        insert(moderation_log).values(
            id=uuid.uuid4(),
            community_id=community_id,
            post_id=post_id,
            actor_id=actor_id,
            action=action,
            detail=detail,
        )
    )


async def flag_post(
    uow: UnitOfWork, actor: Actor, post_id: uuid.UUID, *, reason: str, note: str | None, now: datetime
) -> dict[str, Any]:
    if actor.trust < 1:
        raise DomainError("trust_too_low", 403, required=1)
    post = (
        await uow.session.execute(
            select(posts)
            .where(
                posts.c.id == post_id, posts.c.community_id == actor.community_id, posts.c.status == "visible"
            )
            .with_for_update()
        )
    ).first()
    if post is None:
        raise NotFound()
    if post.author_id == actor.id or post.kind == "system":
        raise DomainError("own_post", 409)
    member = (
        await uow.session.execute(
            select(members.c.flags_upheld, members.c.flags_overturned).where(
                members.c.community_id == actor.community_id, members.c.user_id == actor.id
            )
        )
    ).one()
    weight = flag_weight(actor.trust, member.flags_upheld, member.flags_overturned)
    existing = (
        await uow.session.execute(
            select(flags.c.id).where(flags.c.post_id == post_id, flags.c.flagger_id == actor.id)
        )
    ).first()
    if existing is not None:  # a member's second flag of one post adds nothing
        return {"post_id": post_id, "weight": 0.0, "hidden": False}
    await uow.session.execute(
        insert(flags).values(
            id=uuid.uuid4(),
            community_id=actor.community_id,
            post_id=post_id,
            flagger_id=actor.id,
            reason=reason,
            note=note,
            weight=weight,
            created_at=now,
        )
    )
    total = post.flag_weight + weight
    values: dict[str, Any] = {"flag_weight": total}
    hidden = should_auto_hide(total)
    if hidden:
        top_reason = (
            await uow.session.execute(
                select(flags.c.reason)
                .where(flags.c.post_id == post_id)
                .group_by(flags.c.reason)
                .order_by(func.sum(flags.c.weight).desc(), flags.c.reason)
                .limit(1)
            )
        ).scalar_one()
        values.update(status="hidden", hidden_by="system", hidden_reason=top_reason)
        await uow.session.execute(
            insert(moderation_items).values(
                id=uuid.uuid4(),
                community_id=actor.community_id,
                post_id=post_id,
                cause="flags",
                detail={"weight": total, "reason": top_reason},
                status="open",
            )
        )
        await _log(
            uow, None, actor.community_id, post_id, "auto_hidden", {"weight": total, "reason": top_reason}
        )
        if post.author_id is not None:
            await notify(
                uow,
                community_id=actor.community_id,
                user_id=post.author_id,
                kind="post_hidden",
                thread_id=post.thread_id,
                post_id=post_id,
                detail={"hidden_by": "system", "reason": top_reason},
            )
    await uow.session.execute(update(posts).where(posts.c.id == post_id).values(**values))
    await uow.commit()
    return {"post_id": post_id, "weight": weight, "hidden": hidden}


async def hide_post(uow: UnitOfWork, actor: Actor, post_id: uuid.UUID, *, reason: str) -> dict[str, Any]:
    """A moderator hides a post themselves (the author is told a person did it, and why)."""
    post = (
        await uow.session.execute(
            select(posts)
            .where(posts.c.id == post_id, posts.c.community_id == actor.community_id)
            .with_for_update()
        )
    ).first()
    if post is None:
        raise NotFound()
    if post.status != "hidden":
        await uow.session.execute(
            update(posts)
            .where(posts.c.id == post_id)
            .values(status="hidden", hidden_by="moderator", hidden_reason=reason)
        )
        await _log(uow, actor.id, actor.community_id, post_id, "hidden", {"reason": reason})
        if post.author_id is not None:
            await notify(
                uow,
                community_id=actor.community_id,
                user_id=post.author_id,
                kind="post_hidden",
                thread_id=post.thread_id,
                post_id=post_id,
                detail={"hidden_by": "moderator", "reason": reason},
            )
        await uow.commit()
    return await get_post(uow, actor, post_id)


async def queue(
    uow: UnitOfWork, actor: Actor, *, status: str, limit: int, cursor: str | None
) -> dict[str, Any]:
    query = (
        select(moderation_items, posts)
        .join(posts, posts.c.id == moderation_items.c.post_id)
        .where(moderation_items.c.community_id == actor.community_id, moderation_items.c.status == status)
    )
    rows, next_cursor = page_of(
        (
            await uow.session.execute(
                newest_first(
                    query,
                    key=moderation_items.c.created_at,
                    id_column=moderation_items.c.id,
                    cursor=cursor,
                    limit=limit,
                )
            )
        ).all(),
        limit,
        lambda r: (r._mapping[moderation_items.c.created_at], r._mapping[moderation_items.c.id]),
    )
    items = []
    for row in rows:
        mapping = row._mapping
        item_flags = (
            await uow.session.execute(
                select(flags.c.reason, flags.c.weight, flags.c.note).where(
                    flags.c.post_id == mapping[posts.c.id]
                )
            )
        ).all()
        post_row = _PostRow(mapping)
        items.append(
            {
                "id": mapping[moderation_items.c.id],
                "cause": mapping[moderation_items.c.cause],
                "detail": mapping[moderation_items.c.detail],
                "status": mapping[moderation_items.c.status],
                "created_at": mapping[moderation_items.c.created_at],
                "post": post_view(post_row, actor),
                "flags": [{"reason": r, "weight": w, "note": n} for r, w, n in item_flags],
            }
        )
    return {"items": items, "next_cursor": next_cursor}


class _PostRow:
    """The posts columns of a joined row, addressable by name like a plain posts row."""

    def __init__(self, mapping: Any) -> None:
        self._mapping = mapping

    def __getattr__(self, name: str) -> Any:
        return self._mapping[posts.c[name]]


async def decide(
    uow: UnitOfWork, actor: Actor, item_id: uuid.UUID, *, decision: str, note: str | None, now: datetime
) -> dict[str, Any]:
    """approve: the post is (again) visible and its flags were wrong; reject: it stays hidden and
    its flags were right. Flaggers' accuracy moves either way."""
    item = (
        await uow.session.execute(
            select(moderation_items)
            .where(moderation_items.c.id == item_id, moderation_items.c.community_id == actor.community_id)
            .with_for_update()
        )
    ).first()
    if item is None:
        raise NotFound()
    step = MODERATION_ITEM.step(ItemStatus(item.status), Decision(decision))
    if not step.changed:
        return {"id": item_id, "status": item.status}
    post = (
        await uow.session.execute(select(posts).where(posts.c.id == item.post_id).with_for_update())
    ).one()
    status = step.after.value
    await uow.session.execute(
        update(moderation_items)
        .where(moderation_items.c.id == item_id)
        .values(status=status, decided_by=actor.id, decided_at=now)
    )
    outcome = "overturned" if decision == "approve" else "upheld"
    flaggers = (
        (
            await uow.session.execute(
                update(flags)
                .where(flags.c.post_id == post.id, flags.c.outcome.is_(None))
                .values(outcome=outcome)
                .returning(flags.c.flagger_id)
            )
        )
        .scalars()
        .all()
    )
    if flaggers:
        column = members.c.flags_overturned if outcome == "overturned" else members.c.flags_upheld
        await uow.session.execute(
            update(members)
            .where(members.c.community_id == actor.community_id, members.c.user_id.in_(flaggers))
            .values({column.name: column + 1})
        )
    if decision == "approve":
        await uow.session.execute(
            update(posts)
            .where(posts.c.id == post.id)
            .values(status="visible", hidden_by=None, hidden_reason=None, flag_weight=0)
        )
        if post.status == "pending" and post.author_id is not None:
            thread = (await uow.session.execute(select(threads).where(threads.c.id == post.thread_id))).one()
            await announce_post(
                uow,
                post_id=post.id,
                thread=thread,
                author_id=post.author_id,
                text=post.body,
                mentions=await mentioned_in(uow, actor.community_id, post.id),
            )
    else:
        await uow.session.execute(
            update(posts)
            .where(posts.c.id == post.id)
            .values(status="hidden", hidden_by="moderator", hidden_reason=post.hidden_reason or item.cause)
        )
    if post.author_id is not None:
        await notify(
            uow,
            community_id=actor.community_id,
            user_id=post.author_id,
            kind="post_restored" if decision == "approve" else "post_hidden",
            thread_id=post.thread_id,
            post_id=post.id,
            detail={
                "hidden_by": None if decision == "approve" else "moderator",
                "reason": note or item.cause,
            },
        )
    await _log(uow, actor.id, actor.community_id, post.id, decision, {"item_id": str(item_id), "note": note})
    await uow.commit()
    return {"id": item_id, "status": status}


async def audit_log(uow: UnitOfWork, actor: Actor, *, limit: int, cursor: str | None) -> dict[str, Any]:
    query = select(moderation_log).where(moderation_log.c.community_id == actor.community_id)
    rows, next_cursor = page_of(
        (
            await uow.session.execute(
                newest_first(
                    query,
                    key=moderation_log.c.created_at,
                    id_column=moderation_log.c.id,
                    cursor=cursor,
                    limit=limit,
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
                "post_id": r.post_id,
                "actor_id": r.actor_id,
                "by": "system" if r.actor_id is None else "moderator",
                "action": r.action,
                "detail": r.detail,
                "created_at": r.created_at,
            }
            for r in rows
        ],
        "next_cursor": next_cursor,
    }


async def list_words(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    rows = (
        await uow.session.execute(
            select(watched_words)
            .where(watched_words.c.community_id == actor.community_id)
            .order_by(watched_words.c.word)
        )
    ).all()
    return {"items": [{"id": r.id, "word": r.word, "action": r.action} for r in rows], "next_cursor": None}


async def put_word(uow: UnitOfWork, actor: Actor, *, word: str, action: str) -> dict[str, Any]:
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    statement = pg_insert(watched_words).values(
        id=uuid.uuid4(), community_id=actor.community_id, word=word, action=action
    )
    row = (
        await uow.session.execute(
            statement.on_conflict_do_update(
                constraint="uq_watched_words_word", set_={"action": statement.excluded.action}
            ).returning(watched_words.c.id)
        )
    ).scalar_one()
    await _log(uow, actor.id, actor.community_id, None, "watched_word_set", {"word": word, "action": action})
    await uow.commit()
    return {"id": row, "word": word, "action": action}


async def delete_word(uow: UnitOfWork, actor: Actor, word_id: uuid.UUID) -> None:
    removed = (
        await uow.session.execute(
            delete(watched_words)
            .where(watched_words.c.id == word_id, watched_words.c.community_id == actor.community_id)
            .returning(watched_words.c.word)
        )
    ).first()
    if removed is None:
        raise NotFound()
    await _log(uow, actor.id, actor.community_id, None, "watched_word_removed", {"word": removed[0]})
    await uow.commit()
