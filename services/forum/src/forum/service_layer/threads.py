"""Threads, posts, replies, mentions, likes, edits with history, search and escalation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Row,
    and_,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.elements import ColumnElement

from contracts import PostCreatedV1, PostMentionedV1, ThreadEscalatedV1
from forum.adapters.tables import (
    households,
    mediators,
    members,
    moderation_items,
    moderation_log,
    notices,
    people,
    post_likes,
    post_revisions,
    posts,
    threads,
    watched_words,
)
from forum.domain.mentions import longest_names, mention_runs
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
    BeforeCommit,
    PostingGuard,
    commit_created,
    notify,
    require_community_members,
)
from forum.service_layer.lexicon import community_lexicon
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound
from servicekit.pagination import (
    CursorModel,
    CursorOffset,
    CursorTime,
    encode_cursor,
    newest_first,
    page_of,
    read_cursor,
)

# A ranked search ranks the newest this many matches (pages end there).
SEARCH_CANDIDATES = 200
ANNOUNCERS = frozenset({"property_manager", "property_staff", "committee", "admin"})


def search_vector(segmenter: Segmenter, title: str, body: str) -> ColumnElement[Any]:
    """Title tokens weigh A, body tokens B; tokens come from jieba, so PostgreSQL's 'simple'
    configuration only lower-cases and stores them."""
    title_tokens = " ".join(segmenter.search_tokens(title))
    body_tokens = " ".join(segmenter.search_tokens(body))
    return func.setweight(func.to_tsvector("simple", title_tokens), literal_column("'A'")).op("||")(
        func.setweight(func.to_tsvector("simple", body_tokens), literal_column("'B'"))
    )


async def _watched(uow: UnitOfWork, community_id: uuid.UUID) -> list[WatchedWord]:
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


async def _write_post(
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
    screening = screen_text(f"{title}\n{body}", await _watched(uow, actor.community_id))
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
    thread = await _thread_row(uow, actor, thread_id)
    await _write_post(
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


async def _thread_row(uow: UnitOfWork, actor: Actor, thread_id: uuid.UUID, *, lock: bool = False) -> Row[Any]:
    query = select(threads).where(threads.c.id == thread_id, threads.c.community_id == actor.community_id)
    if lock:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise NotFound()
    return row


def _visible_to(actor: Actor) -> ColumnElement[bool]:
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


async def get_thread(uow: UnitOfWork, actor: Actor, thread_id: uuid.UUID) -> dict[str, Any]:
    thread = await _thread_row(uow, actor, thread_id)
    rows = (
        await uow.session.execute(
            select(posts)
            .where(posts.c.thread_id == thread_id, _visible_to(actor))
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
        **_thread_fields(thread),
        "opening_post": post_view(opening, actor, liked),
        "posts": [post_view(r, actor, liked) for r in rows if r.kind != "opening"],
    }


def _thread_fields(thread: Any) -> dict[str, Any]:
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
        item = _thread_fields(row)
        item["excerpt"] = row.opening_body[:120]
        item["opening_status"] = row.opening_status
        if q:
            item["rank"] = round(ranks[thread_id], 6)
        items.append(item)
    return {"items": items, "next_cursor": next_cursor}


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
    thread = await _thread_row(uow, actor, thread_id)
    await get_thread(uow, actor, thread_id)  # 404 when the thread is hidden from the caller
    written = await _write_post(
        uow, actor, thread=thread, kind="reply", body=body, mentions=mentions, guard=guard, now=now
    )
    await uow.session.execute(update(threads).where(threads.c.id == thread_id).values(last_post_at=now))
    return await commit_created(uow, 201, await get_post(uow, actor, written["id"]), before_commit)


async def _post_row(uow: UnitOfWork, actor: Actor, post_id: uuid.UUID, *, lock: bool = False) -> Row[Any]:
    query = select(posts).where(
        posts.c.id == post_id, posts.c.community_id == actor.community_id, _visible_to(actor)
    )
    if lock:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise NotFound()
    return row


async def get_post(uow: UnitOfWork, actor: Actor, post_id: uuid.UUID) -> dict[str, Any]:
    row = await _post_row(uow, actor, post_id)
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
    row = await _post_row(uow, actor, post_id, lock=True)
    if row.author_id != actor.id or row.kind == "system":
        raise DomainError("thread_not_editable", 403)
    if body == row.body:
        return await get_post(uow, actor, post_id)
    screening = screen_text(body, await _watched(uow, actor.community_id))
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
        thread = await _thread_row(uow, actor, row.thread_id)
        await uow.session.execute(
            update(threads)
            .where(threads.c.id == row.thread_id)
            .values(search=search_vector(segmenter, thread.title, body))
        )
    await uow.commit()
    return await get_post(uow, actor, post_id)


async def post_history(uow: UnitOfWork, actor: Actor, post_id: uuid.UUID) -> dict[str, Any]:
    row = await _post_row(uow, actor, post_id)
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
    row = await _post_row(uow, actor, post_id, lock=True)
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


async def escalate(
    uow: UnitOfWork, actor: Actor, thread_id: uuid.UUID, *, suggested_category: str | None, now: datetime
) -> dict[str, Any]:
    """Publish forum.thread.escalated.v1 once per thread; asking again answers with the thread."""
    await get_thread(uow, actor, thread_id)
    thread = await _thread_row(uow, actor, thread_id, lock=True)
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
