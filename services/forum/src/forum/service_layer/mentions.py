"""Mentions: who an @name in a post is, who a post mentions, and the events that tell them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Row,
    and_,
    func,
    literal,
    or_,
    select,
    union,
    update,
)

from contracts import PostCreatedV1, PostMentionedV1
from forum.adapters.tables import (
    households,
    mediators,
    members,
    notices,
    people,
)
from forum.domain.mentions import longest_names, mention_runs
from forum.service_layer.common import (
    Actor,
)
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError


async def resolve_mentions(
    uow: UnitOfWork, actor: Actor, text: str, mentions: list[uuid.UUID]
) -> list[uuid.UUID]:
    """``mentions`` plus the members each `@名字` of ``text`` names, by display name in the
    people projection (one query). A name nobody of the community bears: 422
    `mention_unknown`. A name several members bear: 422 `mention_ambiguous` listing them (id,
    name, building) so the client asks; it then sends the chosen id in ``mentions`` with the
    same text, and that settles it. Never guessed."""
    runs = mention_runs(text)
    if not runs:
        return mentions
    fits = or_(*(func.strpos(literal(rest), people.c.display_name) == 1 for _, rest in runs))
    rows = (
        await uow.session.execute(
            select(people.c.user_id, people.c.display_name, households.c.building)
            .select_from(
                people.outerjoin(
                    households,
                    and_(
                        households.c.community_id == people.c.community_id,
                        households.c.user_id == people.c.user_id,
                    ),
                )
            )
            .where(people.c.community_id == actor.community_id, people.c.display_name.isnot(None), fits)
            .order_by(people.c.display_name, households.c.building, people.c.user_id)
        )
    ).all()
    named = set(mentions)
    resolved = list(mentions)
    unknown: list[str] = []
    ambiguous: list[dict[str, Any]] = []
    for word, rest in runs:
        name = longest_names(rest, {row.display_name for row in rows})
        if name is None:
            unknown.append(word)
            continue
        bearers = [row for row in rows if row.display_name == name]
        chosen = [row for row in bearers if row.user_id in named]
        if len(bearers) == 1 or len(chosen) == 1:
            resolved.append((chosen or bearers)[0].user_id)
        elif not chosen:
            ambiguous.append(
                {
                    "name": name,
                    "candidates": [
                        {"id": str(row.user_id), "display_name": row.display_name, "building": row.building}
                        for row in bearers
                    ],
                }
            )
    if unknown:
        unknown = list(dict.fromkeys(unknown))
        raise DomainError("mention_unknown", 422, names="、".join(unknown)).showing(names=unknown)
    if ambiguous:
        raise DomainError("mention_ambiguous", 422, names="、".join(a["name"] for a in ambiguous)).showing(
            mentions=ambiguous
        )
    return list(dict.fromkeys(resolved))


MAX_MENTIONED = 50  # PostMentionedV1.mentioned_user_ids holds at most 50


async def mentioned_in(uow: UnitOfWork, community_id: uuid.UUID, post_id: uuid.UUID) -> list[uuid.UUID]:
    """Who a post mentioned, from the mention notices written when it was posted."""
    rows = await uow.session.execute(
        select(notices.c.user_id)
        .where(
            notices.c.community_id == community_id, notices.c.post_id == post_id, notices.c.kind == "mention"
        )
        .order_by(notices.c.id)
    )
    return list(rows.scalars().all())


async def _known_members(
    uow: UnitOfWork, community_id: uuid.UUID, candidates: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `candidates` the forum knows in this community: a person of it (the gateway's
    events), seen in the forum with a token of the community, a verified household there, or a
    mediator there."""
    known = union(
        select(people.c.user_id).where(
            people.c.community_id == community_id, people.c.user_id.in_(candidates)
        ),
        select(members.c.user_id).where(
            members.c.community_id == community_id, members.c.user_id.in_(candidates)
        ),
        select(households.c.user_id).where(
            households.c.community_id == community_id, households.c.user_id.in_(candidates)
        ),
        select(mediators.c.user_id).where(
            mediators.c.community_id == community_id, mediators.c.user_id.in_(candidates)
        ),
    )
    return set((await uow.session.execute(known)).scalars().all())


async def announce_post(
    uow: UnitOfWork,
    *,
    post_id: uuid.UUID,
    thread: Row[Any],
    author_id: uuid.UUID,
    text: str,
    mentions: list[uuid.UUID],
) -> None:
    """A post became visible: count it for its author's trust, tell the hotspot miner, and have
    the gateway notify the members it mentions (never the author, at most 50)."""
    await uow.session.execute(
        update(members)
        .where(members.c.community_id == thread.community_id, members.c.user_id == author_id)
        .values(visible_posts=members.c.visible_posts + 1)
    )
    uow.emit(
        PostCreatedV1(
            community_id=thread.community_id,
            post_id=post_id,
            thread_id=thread.id,
            author_id=author_id,
            board=thread.board,
            building=thread.building,
            text=text.strip(),
        ),
        actor_id=author_id,
    )
    candidates = [user for user in dict.fromkeys(mentions) if user != author_id]
    if not candidates:
        return
    known = await _known_members(uow, thread.community_id, candidates)
    mentioned = [user for user in candidates if user in known][:MAX_MENTIONED]
    if mentioned:
        uow.emit(
            PostMentionedV1(
                community_id=thread.community_id,
                post_id=post_id,
                thread_id=thread.id,
                author_id=author_id,
                mentioned_user_ids=mentioned,
            ),
            actor_id=author_id,
        )
