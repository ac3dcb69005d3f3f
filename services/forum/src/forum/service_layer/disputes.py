"""Disputes (调解): parties, a mediator they all accept, structured agreement terms, monitoring
check-ins, and reopening on a broken term or a new complaint between the same parties."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update

from contracts import DisputeStateChangedV1
from forum.adapters.tables import (
    dispute_notes,
    dispute_parties,
    dispute_timeline,
    disputes,
    mediators,
    threads,
)
from forum.domain.states import DISPUTE, DisputeAction, DisputeState
from forum.service_layer.common import (
    Actor,
    BeforeCommit,
    commit_created,
    require_community_members,
)
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound
from servicekit.pagination import newest_first, page_of

A = DisputeAction


def parties_key(parties: list[uuid.UUID]) -> str:
    return ",".join(sorted(str(p) for p in set(parties)))


async def _emit_change(
    uow: UnitOfWork, dispute: Any, before: DisputeState | None, after: DisputeState, actor: Actor
) -> None:
    party_ids = (
        (
            await uow.session.execute(
                select(dispute_parties.c.user_id).where(dispute_parties.c.dispute_id == dispute.id)
            )
        )
        .scalars()
        .all()
    )
    notify = list(dict.fromkeys([*party_ids, *([dispute.mediator_id] if dispute.mediator_id else [])]))
    uow.emit(
        DisputeStateChangedV1(
            community_id=dispute.community_id,
            dispute_id=dispute.id,
            thread_id=dispute.thread_id,
            from_state=before.value if before else None,
            to_state=after.value,
            mediator_id=dispute.mediator_id,
            notify_user_ids=notify,
        ),
        actor_id=actor.id,
    )


async def _record(
    uow: UnitOfWork,
    dispute_id: uuid.UUID,
    actor: Actor,
    action: str,
    before: DisputeState | None,
    after: DisputeState,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    await uow.session.execute(
        insert(dispute_timeline).values(
            id=uuid.uuid4(),
            community_id=actor.community_id,
            dispute_id=dispute_id,
            actor_id=actor.id,
            action=action,
            from_state=before.value if before else None,
            to_state=after.value,
            detail=detail,
            at=now,
        )
    )


async def open_dispute(
    uow: UnitOfWork,
    actor: Actor,
    *,
    thread_id: uuid.UUID | None,
    parties: list[uuid.UUID],
    summary: str,
    hide_identity: bool,
    now: datetime,
    before_commit: BeforeCommit | None = None,
) -> tuple[dict[str, Any], bool]:
    """A resident complains against the other parties (they are the complainant); a mediator
    opens a case for residents (the first party listed is the complainant). Returns the dispute
    and whether it is new: a complaint between the parties of a case being monitored reopens it."""
    everyone = (
        list(dict.fromkeys([actor.id, *parties])) if not actor.is_mediator else list(dict.fromkeys(parties))
    )
    if len(everyone) < 2:
        raise DomainError("invalid_parties", 422)
    await require_community_members(uow, actor, parties)
    complainant = actor.id if not actor.is_mediator else everyone[0]
    if thread_id is not None:
        found = (
            await uow.session.execute(
                select(threads.c.id).where(
                    threads.c.id == thread_id, threads.c.community_id == actor.community_id
                )
            )
        ).first()
        if found is None:
            raise NotFound()
    key = parties_key(everyone)
    monitored = (
        await uow.session.execute(
            select(disputes)
            .where(
                disputes.c.community_id == actor.community_id,
                disputes.c.parties_key == key,
                disputes.c.state == DisputeState.MONITORING.value,
            )
            .with_for_update()
        )
    ).first()
    if monitored is not None:
        await _apply(uow, actor, monitored, A.NEW_COMPLAINT, {"summary": summary}, now)
        reopened = await get_dispute(uow, actor, monitored.id)
        return await commit_created(uow, 200, reopened, before_commit), False
    dispute_id = uuid.uuid4()
    await uow.session.execute(
        insert(disputes).values(
            id=dispute_id,
            community_id=actor.community_id,
            thread_id=thread_id,
            reporter_id=actor.id,
            complainant_id=complainant,
            complainant_hidden=hide_identity,
            parties_key=key,
            summary=summary,
            state=DisputeState.REPORTED.value,
            updated_at=now,
            created_at=now,
        )
    )
    await uow.session.execute(
        insert(dispute_parties),
        [
            {
                "dispute_id": dispute_id,
                "user_id": p,
                "role": "complainant" if p == complainant else "respondent",
            }
            for p in everyone
        ],
    )
    await _record(uow, dispute_id, actor, "report", None, DisputeState.REPORTED, {}, now)
    dispute = (await uow.session.execute(select(disputes).where(disputes.c.id == dispute_id))).one()
    await _emit_change(uow, dispute, None, DisputeState.REPORTED, actor)
    opened = await get_dispute(uow, actor, dispute_id)
    return await commit_created(uow, 201, opened, before_commit), True


async def _load(uow: UnitOfWork, actor: Actor, dispute_id: uuid.UUID, *, lock: bool = False) -> Row[Any]:
    query = select(disputes).where(disputes.c.id == dispute_id, disputes.c.community_id == actor.community_id)
    if lock:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise NotFound()
    if not (actor.is_mediator or actor.is_committee) and await _party_role(uow, dispute_id, actor.id) is None:
        raise NotFound()
    return row


async def _party_role(uow: UnitOfWork, dispute_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    return (
        await uow.session.execute(
            select(dispute_parties.c.role).where(
                dispute_parties.c.dispute_id == dispute_id, dispute_parties.c.user_id == user_id
            )
        )
    ).scalar_one_or_none()


def _hides_complainant(dispute: Any, actor: Actor, role: str | None) -> bool:
    """Hidden from the other parties (and bystanders), never from mediators."""
    return bool(dispute.complainant_hidden) and not actor.is_mediator and role != "complainant"


async def get_dispute(uow: UnitOfWork, actor: Actor, dispute_id: uuid.UUID) -> dict[str, Any]:
    dispute = await _load(uow, actor, dispute_id)
    role = await _party_role(uow, dispute_id, actor.id)
    hide = _hides_complainant(dispute, actor, role)
    hidden_ids = {dispute.complainant_id} if hide else set()
    party_rows = (
        await uow.session.execute(
            select(dispute_parties)
            .where(dispute_parties.c.dispute_id == dispute_id)
            .order_by(dispute_parties.c.role)
        )
    ).all()
    timeline = (
        await uow.session.execute(
            select(dispute_timeline)
            .where(dispute_timeline.c.dispute_id == dispute_id)
            .order_by(dispute_timeline.c.seq)
        )
    ).all()

    def shown(user_id: uuid.UUID | None) -> uuid.UUID | None:
        return None if user_id in hidden_ids else user_id

    return {
        "id": dispute.id,
        "thread_id": dispute.thread_id,
        "state": dispute.state,
        "summary": dispute.summary,
        "complainant_id": shown(dispute.complainant_id),
        "complainant_hidden": dispute.complainant_hidden,
        "reporter_id": shown(dispute.reporter_id),
        "mediator_id": dispute.mediator_id,
        "my_role": role or ("mediator" if actor.is_mediator else "observer"),
        "parties": [
            {
                "user_id": shown(p.user_id),
                "role": p.role,
                "accepted_mediator": p.accepted_mediator,
                "accepted_agreement": p.accepted_agreement,
            }
            for p in party_rows
        ],
        "terms": dispute.terms,
        "timeline": [
            {
                "action": t.action,
                "actor_id": shown(t.actor_id),
                "from_state": t.from_state,
                "to_state": t.to_state,
                "detail": t.detail,
                "at": t.at,
            }
            for t in timeline
        ],
        "created_at": dispute.created_at,
        "updated_at": dispute.updated_at,
    }


async def list_disputes(
    uow: UnitOfWork, actor: Actor, *, state: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    """Most recently changed first; a case that changes while one pages may move to page one."""
    query = select(disputes.c.id, disputes.c.updated_at).where(disputes.c.community_id == actor.community_id)
    if not (actor.is_mediator or actor.is_committee):
        query = query.join(dispute_parties, dispute_parties.c.dispute_id == disputes.c.id).where(
            dispute_parties.c.user_id == actor.id
        )
    if state:
        query = query.where(disputes.c.state == state)
    rows, next_cursor = page_of(
        (
            await uow.session.execute(
                newest_first(
                    query, key=disputes.c.updated_at, id_column=disputes.c.id, cursor=cursor, limit=limit
                )
            )
        ).all(),
        limit,
        lambda r: (r.updated_at, r.id),
    )
    return {"items": [await get_dispute(uow, actor, r.id) for r in rows], "next_cursor": next_cursor}


async def _apply(
    uow: UnitOfWork,
    actor: Actor,
    dispute: Any,
    action: DisputeAction,
    detail: dict[str, Any],
    now: datetime,
    **values: Any,
) -> bool:
    step = DISPUTE.step(DisputeState(dispute.state), action)
    if not step.changed:
        return False
    await uow.session.execute(
        update(disputes)
        .where(disputes.c.id == dispute.id)
        .values(state=step.after.value, updated_at=now, **values)
    )
    await _record(uow, dispute.id, actor, action.value, step.before, step.after, detail, now)
    refreshed = (await uow.session.execute(select(disputes).where(disputes.c.id == dispute.id))).one()
    await _emit_change(uow, refreshed, step.before, step.after, actor)
    return True


def _require(condition: bool) -> None:
    if not condition:
        raise DomainError("forbidden", 403)


async def act(
    uow: UnitOfWork, actor: Actor, dispute_id: uuid.UUID, action: str, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """One request of the dispute's state machine, with who may make it."""
    dispute = await _load(uow, actor, dispute_id, lock=True)
    role = await _party_role(uow, dispute_id, actor.id)
    is_case_mediator = actor.is_mediator and dispute.mediator_id == actor.id
    handler = actor.is_mediator or actor.is_committee
    if action == "triage":
        _require(handler)
        await _apply(uow, actor, dispute, A.TRIAGE, {}, now)
    elif action == "close":
        _require(handler)
        await _apply(uow, actor, dispute, A.CLOSE_NOT_DISPUTE, {"reason": payload.get("reason")}, now)
    elif action == "withdraw":
        _require(actor.id in (dispute.complainant_id, dispute.reporter_id))
        await _apply(uow, actor, dispute, A.WITHDRAW, {}, now)
    elif action == "propose_mediator":
        _require(handler)
        mediator_id = payload["mediator_id"]
        known = (
            await uow.session.execute(
                select(mediators.c.user_id).where(
                    mediators.c.community_id == actor.community_id, mediators.c.user_id == mediator_id
                )
            )
        ).first()
        if known is None or await _party_role(uow, dispute_id, mediator_id) is not None:
            raise DomainError("not_a_mediator", 422)
        if dispute.state == DisputeState.MEDIATOR_PROPOSED.value and dispute.mediator_id != mediator_id:
            raise DomainError("transition_not_allowed", 409, state=dispute.state, action=action)
        changed = await _apply(
            uow,
            actor,
            dispute,
            A.PROPOSE_MEDIATOR,
            {"mediator_id": str(mediator_id)},
            now,
            mediator_id=mediator_id,
        )
        if changed:
            await uow.session.execute(
                update(dispute_parties)
                .where(dispute_parties.c.dispute_id == dispute_id)
                .values(accepted_mediator=False)
            )
    elif action == "accept_mediator":
        _require(role is not None)
        if dispute.state == DisputeState.MEDIATOR_PROPOSED.value:
            await _accept(uow, actor, dispute, "accepted_mediator", A.ALL_ACCEPT_MEDIATOR, now)
        else:
            DISPUTE.step(DisputeState(dispute.state), A.ALL_ACCEPT_MEDIATOR)
    elif action == "propose_terms":
        _require(is_case_mediator)
        terms = payload["terms"]
        parties = set(
            (
                await uow.session.execute(
                    select(dispute_parties.c.user_id).where(dispute_parties.c.dispute_id == dispute_id)
                )
            ).scalars()
        )
        if any(uuid.UUID(str(t["who"])) not in parties for t in terms):
            raise DomainError("term_party_unknown", 422)
        await _apply(uow, actor, dispute, A.PROPOSE_TERMS, {"terms": terms}, now, terms=terms)
        await uow.session.execute(
            update(dispute_parties)
            .where(dispute_parties.c.dispute_id == dispute_id)
            .values(accepted_agreement=False)
        )
    elif action == "accept_agreement":
        _require(role is not None)
        if dispute.state == DisputeState.AGREEMENT_PROPOSED.value:
            await _accept(uow, actor, dispute, "accepted_agreement", A.ALL_ACCEPT_AGREEMENT, now)
        else:
            DISPUTE.step(DisputeState(dispute.state), A.ALL_ACCEPT_AGREEMENT)
    elif action == "decline_agreement":
        _require(role is not None)
        await _apply(uow, actor, dispute, A.DECLINE_AGREEMENT, {"reason": payload.get("reason")}, now)
    elif action == "start_monitoring":
        _require(is_case_mediator)
        await _apply(uow, actor, dispute, A.START_MONITORING, {}, now)
    elif action == "check_in":
        _require(is_case_mediator)
        outcome = payload["outcome"]
        detail = {"outcome": outcome, "note": payload.get("note")}
        if outcome == "on_track":
            if dispute.state != DisputeState.MONITORING.value:
                raise DomainError("transition_not_allowed", 409, state=dispute.state, action="check_in")
            await _record(
                uow,
                dispute_id,
                actor,
                "check_in",
                DisputeState.MONITORING,
                DisputeState.MONITORING,
                detail,
                now,
            )
        else:
            await _apply(
                uow, actor, dispute, A.CHECK_INS_OK if outcome == "passed" else A.TERM_BROKEN, detail, now
            )
    elif action == "resume":
        _require(is_case_mediator)
        await _apply(uow, actor, dispute, A.RESUME, {}, now)
    elif action == "escalate":
        _require(is_case_mediator or actor.is_committee)
        await _apply(uow, actor, dispute, A.ESCALATE, {"to": payload.get("to")}, now)
    else:  # the router only offers the actions above
        raise NotFound()
    await uow.commit()
    return await get_dispute(uow, actor, dispute_id)


async def _accept(
    uow: UnitOfWork, actor: Actor, dispute: Any, column: str, action: DisputeAction, now: datetime
) -> None:
    await uow.session.execute(
        update(dispute_parties)
        .where(dispute_parties.c.dispute_id == dispute.id, dispute_parties.c.user_id == actor.id)
        .values({column: True})
    )
    state = DisputeState(dispute.state)
    await _record(uow, dispute.id, actor, column.replace("accepted_", "accept_"), state, state, {}, now)
    pending = (
        await uow.session.execute(
            select(dispute_parties.c.user_id).where(
                dispute_parties.c.dispute_id == dispute.id, dispute_parties.c[column].is_(False)
            )
        )
    ).first()
    if pending is None:
        await _apply(uow, actor, dispute, action, {}, now)


async def add_note(
    uow: UnitOfWork, actor: Actor, dispute_id: uuid.UUID, body: str, now: datetime
) -> dict[str, Any]:
    await _load(uow, actor, dispute_id)
    note_id = uuid.uuid4()
    await uow.session.execute(
        insert(dispute_notes).values(
            id=note_id,
            community_id=actor.community_id,
            dispute_id=dispute_id,
            author_id=actor.id,
            body=body,
            created_at=now,
        )
    )
    await uow.commit()
    return {"id": note_id, "author_id": actor.id, "body": body, "created_at": now}


async def list_notes(uow: UnitOfWork, actor: Actor, dispute_id: uuid.UUID) -> dict[str, Any]:
    await _load(uow, actor, dispute_id)
    rows = (
        await uow.session.execute(
            select(dispute_notes)
            .where(dispute_notes.c.dispute_id == dispute_id)
            .order_by(dispute_notes.c.created_at.desc(), dispute_notes.c.id)
        )
    ).all()
    return {
        "items": [
            {"id": r.id, "author_id": r.author_id, "body": r.body, "created_at": r.created_at} for r in rows
        ],
        "next_cursor": None,
    }
