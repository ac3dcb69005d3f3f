"""Deliberations (议事: collect, deliberate, act, supervise, evaluate), counted per household."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from contracts import DeliberationStateChangedV1
from forum.adapters.tables import (
    deliberation_ratings,
    deliberation_supports,
    deliberation_timeline,
    deliberation_votes,
    deliberations,
    milestones,
)
from forum.config import Settings
from forum.domain.states import DELIBERATION, DeliberationAction, DeliberationState
from forum.service_layer.common import (
    Actor,
    BeforeCommit,
    commit_created,
    require_community_members,
)
from forum.service_layer.policy import current_policy
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound
from servicekit.pagination import newest_first, page_of

A = DeliberationAction
S = DeliberationState


async def _emit(uow: UnitOfWork, row: Any, before: S | None, after: S, actor_id: uuid.UUID | None) -> None:
    supporters = (
        (
            await uow.session.execute(
                select(deliberation_supports.c.user_id).where(
                    deliberation_supports.c.deliberation_id == row.id
                )
            )
        )
        .scalars()
        .all()
    )
    notify = list(dict.fromkeys([row.proposer_id, *([row.owner_id] if row.owner_id else []), *supporters]))
    uow.emit(
        DeliberationStateChangedV1(
            community_id=row.community_id,
            deliberation_id=row.id,
            title=row.title,
            building=row.building,
            from_state=before.value if before else None,
            to_state=after.value,
            owner_id=row.owner_id,
            notify_user_ids=notify,
        ),
        actor_id=actor_id,
    )


async def _transition(
    uow: UnitOfWork,
    row: Any,
    action: DeliberationAction,
    actor_id: uuid.UUID | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
    *,
    quiet: bool = False,
    **values: Any,
) -> bool:
    """Take the step; a step that changes nothing (it was already taken) is a 409
    ``state_unchanged`` for a person's request, and returns False only for the clock (``quiet``)."""
    step = DELIBERATION.step(S(row.state), action)
    if not step.changed:
        if quiet:
            return False
        raise DomainError("state_unchanged", 409, state=row.state, action=action.value)
    await uow.session.execute(
        update(deliberations)
        .where(deliberations.c.id == row.id)
        .values(state=step.after.value, updated_at=now, **values)
    )
    await uow.session.execute(
        insert(deliberation_timeline).values(
            id=uuid.uuid4(),
            community_id=row.community_id,
            deliberation_id=row.id,
            actor_id=actor_id,
            action=action.value,
            from_state=step.before.value,
            to_state=step.after.value,
            detail=detail or {},
            at=now,
        )
    )
    refreshed = (await uow.session.execute(select(deliberations).where(deliberations.c.id == row.id))).one()
    await _emit(uow, refreshed, step.before, step.after, actor_id)
    return True


async def open_deliberation(
    uow: UnitOfWork,
    actor: Actor,
    *,
    title: str,
    body: str,
    building: str | None,
    settings: Settings,
    now: datetime,
    hotspot_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    # The community's policy as it is now: the topic keeps this copy, so a later change of the
    # policy does not move the goalposts of a running topic.
    policy = await current_policy(uow, actor.community_id, settings)
    deliberation_id = uuid.uuid4()
    await uow.session.execute(
        insert(deliberations).values(
            id=deliberation_id,
            community_id=actor.community_id,
            title=title,
            body=body,
            building=building,
            proposer_id=actor.id,
            state=S.COLLECTING.value,
            support_threshold=policy["support_threshold"],
            window_ends_at=now + timedelta(days=policy["window_days"]),
            quorum=policy["quorum_households"],
            pass_ratio=policy["pass_ratio"],
            rating_threshold=settings.rating_threshold,
            hotspot_id=hotspot_id,
            updated_at=now,
            created_at=now,
        )
    )
    await uow.session.execute(
        insert(deliberation_timeline).values(
            id=uuid.uuid4(),
            community_id=actor.community_id,
            deliberation_id=deliberation_id,
            actor_id=actor.id,
            action="open",
            from_state=None,
            to_state=S.COLLECTING.value,
            detail={},
            at=now,
        )
    )
    row = (
        await uow.session.execute(select(deliberations).where(deliberations.c.id == deliberation_id))
    ).one()
    await _emit(uow, row, None, S.COLLECTING, actor.id)
    return {"id": deliberation_id}


async def create_deliberation(
    uow: UnitOfWork,
    actor: Actor,
    *,
    title: str,
    body: str,
    building: str | None,
    settings: Settings,
    now: datetime,
    before_commit: BeforeCommit | None = None,
) -> dict[str, Any]:
    created = await open_deliberation(
        uow,
        actor,
        title=title,
        body=body,
        building=building,
        settings=settings,
        now=now,
    )
    return await commit_created(uow, 201, await get_deliberation(uow, actor, created["id"]), before_commit)


async def _load(uow: UnitOfWork, actor: Actor, deliberation_id: uuid.UUID, *, lock: bool = False) -> Row[Any]:
    query = select(deliberations).where(
        deliberations.c.id == deliberation_id, deliberations.c.community_id == actor.community_id
    )
    if lock:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise NotFound()
    return row


async def get_deliberation(uow: UnitOfWork, actor: Actor, deliberation_id: uuid.UUID) -> dict[str, Any]:
    row = await _load(uow, actor, deliberation_id)
    return await _view(uow, actor, row)


async def _view(uow: UnitOfWork, actor: Actor, row: Any) -> dict[str, Any]:
    session = uow.session
    supports = (
        await session.execute(
            select(func.count())
            .select_from(deliberation_supports)
            .where(deliberation_supports.c.deliberation_id == row.id)
        )
    ).scalar_one()
    votes: dict[str, int] = dict(
        (
            await session.execute(
                select(deliberation_votes.c.choice, func.count())
                .where(deliberation_votes.c.deliberation_id == row.id)
                .group_by(deliberation_votes.c.choice)
            )
        ).all()
    )
    rating = (
        await session.execute(
            select(func.avg(deliberation_ratings.c.stars), func.count()).where(
                deliberation_ratings.c.deliberation_id == row.id, deliberation_ratings.c.round == _round(row)
            )
        )
    ).one()
    stones = (
        await session.execute(
            select(milestones)
            .where(milestones.c.deliberation_id == row.id)
            .order_by(milestones.c.due_at, milestones.c.id)
        )
    ).all()
    timeline = (
        await session.execute(
            select(deliberation_timeline)
            .where(deliberation_timeline.c.deliberation_id == row.id)
            .order_by(deliberation_timeline.c.seq)
        )
    ).all()
    mine: dict[str, Any] = {"supported": False, "vote": None, "rating": None}
    if actor.household_id is not None:
        mine["supported"] = (
            await session.execute(
                select(deliberation_supports.c.user_id).where(
                    deliberation_supports.c.deliberation_id == row.id,
                    deliberation_supports.c.household_id == actor.household_id,
                )
            )
        ).first() is not None
        mine["vote"] = (
            await session.execute(
                select(deliberation_votes.c.choice).where(
                    deliberation_votes.c.deliberation_id == row.id,
                    deliberation_votes.c.household_id == actor.household_id,
                )
            )
        ).scalar_one_or_none()
    return {
        "id": row.id,
        "title": row.title,
        "body": row.body,
        "building": row.building,
        "proposer_id": row.proposer_id,
        "state": row.state,
        "support_threshold": row.support_threshold,
        "window_ends_at": row.window_ends_at,
        "household_supports": supports,
        "quorum": row.quorum,
        "pass_ratio": row.pass_ratio,
        "votes": {"yes": votes.get("yes", 0), "no": votes.get("no", 0), "abstain": votes.get("abstain", 0)},
        "reject_reason": row.reject_reason,
        "minutes": row.minutes,
        "owner_id": row.owner_id,
        "progress": row.progress,
        "milestones": [
            {"id": m.id, "title": m.title, "due_at": m.due_at, "done_at": m.done_at, "overdue": m.overdue}
            for m in stones
        ],
        "rating_threshold": row.rating_threshold,
        "rating": {"average": float(rating[0]) if rating[0] is not None else None, "count": rating[1]},
        "hotspot_id": row.hotspot_id,
        "mine": mine,
        "timeline": [
            {
                "action": t.action,
                "actor_id": t.actor_id,
                "from_state": t.from_state,
                "to_state": t.to_state,
                "detail": t.detail,
                "at": t.at,
            }
            for t in timeline
        ],
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def carries(yes: int, no: int, pass_ratio: float) -> bool:
    """More yes than no, and yes at least `pass_ratio` of yes + no (abstentions count toward the
    quorum only). A ratio up to 0.5 is the simple majority; 2/3 is a two-thirds majority."""
    ratio = Fraction(pass_ratio).limit_denominator(10_000)
    return yes > no and yes * ratio.denominator >= ratio.numerator * (yes + no)


def _round(row: Any) -> int:
    return int(row.evaluation_round)


async def list_deliberations(
    uow: UnitOfWork, actor: Actor, *, state: str | None, building: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    query = select(deliberations).where(deliberations.c.community_id == actor.community_id)
    if state:
        query = query.where(deliberations.c.state == state)
    if building:
        query = query.where(deliberations.c.building == building)
    rows, next_cursor = page_of(
        (
            await uow.session.execute(
                newest_first(
                    query,
                    key=deliberations.c.created_at,
                    id_column=deliberations.c.id,
                    cursor=cursor,
                    limit=limit,
                )
            )
        ).all(),
        limit,
        lambda r: (r.created_at, r.id),
    )
    return {"items": [await _view(uow, actor, r) for r in rows], "next_cursor": next_cursor}


def _household(actor: Actor) -> uuid.UUID:
    if actor.household_id is None:
        raise DomainError("household_required", 403)
    return actor.household_id


async def support(uow: UnitOfWork, actor: Actor, deliberation_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    household = _household(actor)
    row = await _load(uow, actor, deliberation_id, lock=True)
    if row.state != S.COLLECTING.value:
        raise DomainError("transition_not_allowed", 409, state=row.state, action="support")
    if now >= row.window_ends_at:
        raise DomainError("window_closed", 409)
    # The primary key (deliberation, household) counts a household once, whatever the
    # concurrency; another account of a counted household is told so (the same account again is a
    # retry and sees the topic).
    counted = await uow.session.execute(
        pg_insert(deliberation_supports)
        .values(deliberation_id=deliberation_id, household_id=household, user_id=actor.id, created_at=now)
        .on_conflict_do_nothing()
        .returning(deliberation_supports.c.user_id)
    )
    if counted.first() is None:
        await _already_counted(uow, deliberation_supports, deliberation_id, household, actor)
    count = (
        await uow.session.execute(
            select(func.count())
            .select_from(deliberation_supports)
            .where(deliberation_supports.c.deliberation_id == deliberation_id)
        )
    ).scalar_one()
    if count >= row.support_threshold:
        await _transition(uow, row, A.SUPPORT_THRESHOLD_MET, actor.id, now, {"households": count})
    await uow.commit()
    return await get_deliberation(uow, actor, deliberation_id)


async def vote(
    uow: UnitOfWork, actor: Actor, deliberation_id: uuid.UUID, choice: str, now: datetime
) -> dict[str, Any]:
    household = _household(actor)
    row = await _load(uow, actor, deliberation_id)
    if row.state != S.VOTING.value:
        raise DomainError("transition_not_allowed", 409, state=row.state, action="vote")
    counted = await uow.session.execute(
        pg_insert(deliberation_votes)
        .values(
            deliberation_id=deliberation_id,
            household_id=household,
            user_id=actor.id,
            choice=choice,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(deliberation_votes.c.user_id)
    )
    if counted.first() is None:
        await _already_counted(uow, deliberation_votes, deliberation_id, household, actor)
    await uow.commit()
    return await get_deliberation(uow, actor, deliberation_id)


async def _already_counted(
    uow: UnitOfWork, table: Any, deliberation_id: uuid.UUID, household: uuid.UUID, actor: Actor
) -> None:
    """The household was counted already (the primary key kept it to one row). The same account
    repeating itself is a retry and answers the state; another account of the household: 409
    `household_already_counted` (API.md), so the second member learns why nothing changed."""
    by = (
        await uow.session.execute(
            select(table.c.user_id).where(
                table.c.deliberation_id == deliberation_id, table.c.household_id == household
            )
        )
    ).scalar_one_or_none()
    if by is not None and by != actor.id:
        raise DomainError("household_already_counted", 409)


def _require(condition: bool) -> None:
    if not condition:
        raise DomainError("forbidden", 403)


async def act(
    uow: UnitOfWork,
    actor: Actor,
    deliberation_id: uuid.UUID,
    action: str,
    payload: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Requests that move the topic, by the committee (screening, minutes, vote count, handing
    over to an owner, supervision, evaluation) and by its owner (progress)."""
    row = await _load(uow, actor, deliberation_id, lock=True)
    committee = actor.is_committee
    if action == "screen":
        _require(committee)
        if payload["decision"] == "accept":
            await _transition(uow, row, A.SCREEN_ACCEPT, actor.id, now)
        else:
            await _transition(
                uow,
                row,
                A.SCREEN_REJECT,
                actor.id,
                now,
                {"reason": payload.get("reason")},
                reject_reason=payload.get("reason"),
            )
    elif action == "minutes":
        _require(committee)
        minutes = {
            "attendees": payload["attendees"],
            "conclusion": payload["conclusion"],
            "recorded_by": str(actor.id),
            "recorded_at": now.isoformat(),
        }
        extra: dict[str, Any] = {"minutes": minutes}
        if payload.get("quorum"):
            extra["quorum"] = payload["quorum"]
        next_action = A.MINUTES_TO_VOTE if payload["next"] == "voting" else A.MINUTES_DECIDE
        await _transition(
            uow, row, next_action, actor.id, now, {"conclusion": payload["conclusion"]}, **extra
        )
    elif action == "close_vote":
        _require(committee)
        tally: dict[str, int] = dict(
            (
                await uow.session.execute(
                    select(deliberation_votes.c.choice, func.count())
                    .where(deliberation_votes.c.deliberation_id == deliberation_id)
                    .group_by(deliberation_votes.c.choice)
                )
            ).all()
        )
        households_voted = sum(tally.values())
        carried = households_voted >= row.quorum and carries(
            tally.get("yes", 0), tally.get("no", 0), row.pass_ratio
        )
        detail = {
            "tally": tally,
            "households": households_voted,
            "quorum": row.quorum,
            "pass_ratio": row.pass_ratio,
        }
        failed: dict[str, Any] = {} if carried else {"reject_reason": "vote_failed"}
        await _transition(
            uow, row, A.VOTE_CARRIED if carried else A.VOTE_FAILED, actor.id, now, detail, **failed
        )
    elif action == "start_acting":
        _require(committee or actor.is_manager)
        owner_id = payload["owner_id"]
        await require_community_members(uow, actor, [owner_id])
        changed = await _transition(
            uow, row, A.START_ACTING, actor.id, now, {"owner_id": str(owner_id)}, owner_id=owner_id
        )
        if changed:
            for stone in payload.get("milestones", []):
                await uow.session.execute(
                    insert(milestones).values(
                        id=uuid.uuid4(),
                        community_id=actor.community_id,
                        deliberation_id=deliberation_id,
                        title=stone["title"],
                        due_at=stone["due_at"],
                    )
                )
    elif action == "progress":
        _require(row.owner_id == actor.id)
        if row.state not in (S.ACTING.value, S.SUPERVISING.value):
            raise DomainError("transition_not_allowed", 409, state=row.state, action=action)
        values: dict[str, Any] = {"updated_at": now}
        if payload.get("percent") is not None:
            values["progress"] = payload["percent"]
        await uow.session.execute(
            update(deliberations).where(deliberations.c.id == deliberation_id).values(**values)
        )
        for done in payload.get("done_milestone_ids", []):
            await uow.session.execute(
                update(milestones)
                .where(
                    milestones.c.id == done,
                    milestones.c.deliberation_id == deliberation_id,
                    milestones.c.done_at.is_(None),
                )
                .values(done_at=now, overdue=False)
            )
        await uow.session.execute(
            insert(deliberation_timeline).values(
                id=uuid.uuid4(),
                community_id=actor.community_id,
                deliberation_id=deliberation_id,
                actor_id=actor.id,
                action="progress",
                from_state=row.state,
                to_state=row.state,
                detail={"percent": payload.get("percent"), "note": payload.get("note")},
                at=now,
            )
        )
    elif action == "supervise":
        _require(committee)
        await _transition(uow, row, A.SUPERVISE, actor.id, now)
    elif action == "evaluate":
        _require(committee)
        await _transition(uow, row, A.EVALUATE, actor.id, now)
    elif action == "conclude":
        _require(committee)
        if row.state == S.EVALUATING.value:
            rated = (
                await uow.session.execute(
                    select(func.avg(deliberation_ratings.c.stars), func.count()).where(
                        deliberation_ratings.c.deliberation_id == deliberation_id,
                        deliberation_ratings.c.round == _round(row),
                    )
                )
            ).one()
            if not rated[1]:
                raise DomainError("no_ratings", 409)
            average = float(rated[0])
            passed = average >= row.rating_threshold
            detail = {"average": round(average, 2), "ratings": rated[1], "threshold": row.rating_threshold}
            extra = {} if passed else {"evaluation_round": _round(row) + 1}
            await _transition(
                uow, row, A.RATING_PASSED if passed else A.RATING_FAILED, actor.id, now, detail, **extra
            )
        elif not DELIBERATION.step(S(row.state), A.RATING_PASSED).changed:  # else 409 from the step
            raise DomainError("state_unchanged", 409, state=row.state, action=action)
    else:
        raise NotFound()
    await uow.commit()
    return await get_deliberation(uow, actor, deliberation_id)


async def rate(
    uow: UnitOfWork, actor: Actor, deliberation_id: uuid.UUID, stars: int, now: datetime
) -> dict[str, Any]:
    household = _household(actor)
    row = await _load(uow, actor, deliberation_id)
    if row.state != S.EVALUATING.value:
        raise DomainError("transition_not_allowed", 409, state=row.state, action="rate")
    if row.building and actor.household_building != row.building:
        raise DomainError("not_affected", 403)
    await uow.session.execute(
        pg_insert(deliberation_ratings)
        .values(
            deliberation_id=deliberation_id,
            household_id=household,
            user_id=actor.id,
            stars=stars,
            round=_round(row),
            created_at=now,
        )
        .on_conflict_do_update(
            index_elements=["deliberation_id", "household_id"],
            set_={"stars": stars, "user_id": actor.id, "round": _round(row)},
        )
    )
    await uow.commit()
    return await get_deliberation(uow, actor, deliberation_id)


async def run_deadlines(uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """The clock's part: collecting topics past their window expire; milestones past due and not
    done are flagged overdue (supervision sees them)."""
    expired = 0
    rows = (
        await uow.session.execute(
            select(deliberations)
            .where(deliberations.c.state == S.COLLECTING.value, deliberations.c.window_ends_at <= now)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        if await _transition(uow, row, A.WINDOW_ENDED, None, now, quiet=True):
            expired += 1
    flagged = (
        await uow.session.execute(
            update(milestones)
            .where(
                milestones.c.done_at.is_(None), milestones.c.overdue.is_(False), milestones.c.due_at <= now
            )
            .values(overdue=True)
            .returning(milestones.c.id)
        )
    ).all()
    await uow.commit()
    return {"expired": expired, "overdue_milestones": len(flagged)}
