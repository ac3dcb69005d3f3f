"""Report use cases: load -> domain decision -> timeline row + event -> commit."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping

from contracts import ReportRatedV1, ReportStatusChangedV1, ReportSubmittedV1, ReportUrgedV1
from reports.adapters import repository as repo
from reports.adapters.tables import people, report_photos, report_supporters, reports, staff
from reports.domain import access
from reports.domain.access import Actor, ReportFacts
from reports.domain.categories import FALLBACK_CATEGORY
from reports.domain.model import (
    OPEN_STATUSES,
    REPORT,
    WORKING_STATUSES,
    Action,
    Status,
    reopen_allowed,
    resume_shift,
    sla_due,
)
from servicekit import idempotency
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound
from servicekit.pagination import newest_first, page_of
from servicekit.people import require_members

RejectReason = Literal["not_responsible", "duplicate", "invalid"]


def facts(row: RowMapping | dict[str, Any]) -> ReportFacts:
    return ReportFacts(
        reporter_id=row["reporter_id"],
        public_area=row["public_area"],
        building=row["building"],
        department=row["department"],
        assignee_id=row["assignee_id"],
    )


async def actor_of(
    uow: UnitOfWork,
    *,
    user_id: uuid.UUID,
    community_id: uuid.UUID,
    roles: frozenset[str],
    building: str | None,
) -> Actor:
    departments = (
        await repo.staff_departments(uow.session, community_id, user_id) if roles & access.STAFF_ROLES else {}
    )
    return Actor(user_id, community_id, roles, building, departments)


async def visible_report(
    uow: UnitOfWork, actor: Actor, report_id: uuid.UUID, *, for_update: bool = False
) -> RowMapping:
    row = await repo.load_report(uow.session, actor.community_id, report_id, for_update=for_update)
    if row is None or not access.can_see(actor, facts(row)):
        raise NotFound()
    return row


def _forbid() -> DomainError:
    return DomainError("forbidden", 403)


def _event_base(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    return {
        "community_id": row["community_id"],
        "report_id": row["id"],
        "reporter_id": row["reporter_id"],
        "category": row["category"],
        "department": row["department"],
        "building": row["building"],
        "source_thread_id": row["source_thread_id"],
    }


# -- submission ---------------------------------------------------------------------------------
@dataclass
class NewReport:
    category: str
    description: str
    building: str | None
    unit: str | None = None
    room: str | None = None
    area: str | None = None
    lat: float | None = None
    lng: float | None = None
    public_area: bool | None = None
    anonymous: bool = False
    source: str = "app"
    source_thread_id: uuid.UUID | None = None
    open311_token: uuid.UUID | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def submit(
    uow: UnitOfWork,
    *,
    community_id: uuid.UUID,
    reporter_id: uuid.UUID | None,
    new: NewReport,
    now: datetime,
    on_conflict_thread: bool = False,
    filed_by: uuid.UUID | None = None,
) -> RowMapping | None:
    """Insert the report, its first timeline row and the submitted event (the caller commits).
    ``filed_by``: the staff member who filed it for the reporter (代客报修), the timeline's actor.
    With ``on_conflict_thread`` a second report for one forum thread is silently not created
    (returns None)."""
    category = await repo.get_category(uow.session, community_id, new.category)
    # A retired category takes no new reports from residents, but a forum escalation is never
    # refused (it would only loop to the dead-letter queue): it lands in the category anyway.
    if category is None or (not category["active"] and new.source != "forum"):
        raise DomainError("category_unknown", 422, category=new.category)
    due = sla_due(now, category["sla_accept_hours"], category["sla_resolve_hours"])
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "community_id": community_id,
        "category": category["code"],
        "department": category["department"],
        "reporter_id": reporter_id,
        "source": new.source,
        "source_thread_id": new.source_thread_id,
        "building": new.building,
        "unit": new.unit,
        "room": new.room,
        "area": new.area,
        "lat": new.lat,
        "lng": new.lng,
        "description": new.description,
        "public_area": category["public_area_default"] if new.public_area is None else new.public_area,
        "anonymous": new.anonymous,
        "status": Status.SUBMITTED.value,
        "submitted_at": now,
        "updated_at": now,
        "due_accept_at": due.accept_at,
        "due_resolve_at": due.resolve_at,
        "open311_token": new.open311_token,
    }
    statement = pg_insert(reports).values(**values)
    if on_conflict_thread:
        statement = statement.on_conflict_do_nothing(
            index_elements=["community_id", "source_thread_id"],
            index_where=reports.c.source_thread_id.isnot(None),
        )
    row: RowMapping | None = (await uow.session.execute(statement.returning(reports))).mappings().first()
    if row is None:
        return None
    await repo.add_timeline(
        uow.session,
        values,
        at=now,
        actor_id=filed_by or reporter_id,
        action="submit_on_behalf" if filed_by else "submit",
        from_status=None,
        to_status=Status.SUBMITTED.value,
        note=None,
    )
    uow.emit(
        ReportSubmittedV1(
            **_event_base(values),
            public_area=values["public_area"],
            due_accept_at=due.accept_at,
            due_resolve_at=due.resolve_at,
        ),
        actor_id=reporter_id,
    )
    return row


async def file_public(
    uow: UnitOfWork, *, community_id: uuid.UUID, new: NewReport, now: datetime
) -> RowMapping:
    """A public-area report filed without an account (Open311), committed with its event."""
    created = await submit(uow, community_id=community_id, reporter_id=None, new=new, now=now)
    assert created is not None  # only thread escalations can conflict
    await uow.commit()
    return created


Answer = Callable[[RowMapping, list[dict[str, Any]]], Awaitable[dict[str, Any]]]


async def submit_once(
    uow: UnitOfWork,
    actor: Actor,
    new: NewReport,
    *,
    keyed: idempotency.Keyed,
    now: datetime,
    window_days: int,
    answer: Answer,
    on_behalf_of: uuid.UUID | None = None,
) -> tuple[int, dict[str, Any]]:
    """A resident's report, at most once per Idempotency-Key: the key, the report, its event and
    the stored answer (``answer`` shapes it from the report and its possible duplicates) commit
    together; the same key and body again replay the stored answer.

    ``on_behalf_of`` (代客报修): property staff or a manager files for a person of the community who
    phoned or walked in; that person is the reporter, the staff member the first row's actor."""
    claim, stored = await keyed.claim(uow, scope="reports.submit", user_id=actor.user_id)
    if stored is not None:
        return stored.status, stored.body
    reporter_id, filed_by = actor.user_id, None
    if on_behalf_of is not None:
        await require_members(uow.session, actor.community_id, [on_behalf_of], people)
        reporter_id, filed_by = on_behalf_of, actor.user_id
    created = await submit(
        uow,
        community_id=actor.community_id,
        reporter_id=reporter_id,
        filed_by=filed_by,
        new=new,
        now=now,
    )
    assert created is not None  # only thread escalations can conflict
    duplicates = await possible_duplicates(
        uow, community_id=actor.community_id, report=created, window_days=window_days
    )
    body = await answer(created, duplicates)
    if claim is not None:
        await claim.record(uow, 201, body)
    await uow.commit()
    return 201, body


async def list_reports(
    uow: UnitOfWork,
    actor: Actor,
    *,
    scope: Literal["mine", "building", "queue"],
    statuses: Sequence[Status],
    category: str | None,
    overdue: bool | None,
    supervised: bool | None,
    assignee: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[RowMapping], str | None]:
    """A page of reports, newest first: the caller's own (`mine`), the public-area ones of their
    building (`building`), or the queue of their departments (`queue`: staff; the committee all)."""
    conditions: list[Any] = [reports.c.community_id == actor.community_id]
    if scope == "mine":
        conditions.append(reports.c.reporter_id == actor.user_id)
    elif scope == "building":
        if actor.building is None:
            return [], None
        conditions += [reports.c.building == actor.building, reports.c.public_area.is_(True)]
    elif actor.is_committee:
        pass  # the committee supervises every department
    elif actor.is_staff and actor.departments:
        conditions.append(reports.c.department.in_(set(actor.departments.values())))
    else:
        raise _forbid()
    if statuses:
        conditions.append(reports.c.status.in_([s.value for s in statuses]))
    if category:
        conditions.append(reports.c.category == category)
    if overdue is not None:
        breached = or_(reports.c.accept_breached_at.isnot(None), reports.c.resolve_breached_at.isnot(None))
        is_overdue = and_(breached, reports.c.status.in_([s.value for s in OPEN_STATUSES]))
        conditions.append(is_overdue if overdue else ~is_overdue)
    if supervised is not None:
        conditions.append(
            reports.c.supervised_at.isnot(None) if supervised else reports.c.supervised_at.is_(None)
        )
    if assignee is not None:
        conditions.append(reports.c.assignee_id == assignee)
    query = newest_first(
        select(reports).where(*conditions),
        key=reports.c.submitted_at,
        id_column=reports.c.id,
        cursor=cursor,
        limit=limit,
    )
    rows = (await uow.session.execute(query)).mappings().all()
    return page_of(rows, limit, lambda r: (r["submitted_at"], r["id"]))


async def possible_duplicates(
    uow: UnitOfWork, *, community_id: uuid.UUID, report: RowMapping, window_days: int
) -> list[dict[str, Any]]:
    """Open public-area reports of the same category and building from the last days. Private
    (in-home) reports of others are never offered: the resident could not see them."""
    if report["building"] is None:
        return []
    result = await uow.session.execute(
        select(reports.c.id, reports.c.status, reports.c.submitted_at, reports.c.support_count)
        .where(
            reports.c.community_id == community_id,
            reports.c.category == report["category"],
            reports.c.building == report["building"],
            reports.c.public_area.is_(True),
            reports.c.status.in_([s.value for s in OPEN_STATUSES]),
            reports.c.submitted_at >= report["submitted_at"] - timedelta(days=window_days),
            reports.c.id != report["id"],
        )
        .order_by(reports.c.support_count.desc(), reports.c.submitted_at.desc())
        .limit(5)
    )
    return [dict(row) for row in result.mappings()]


# -- transitions ---------------------------------------------------------------------------------
@dataclass
class Command:
    action: Action
    note: str | None = None
    staff_id: uuid.UUID | None = None
    reject_reason: RejectReason | None = None
    duplicate_of: uuid.UUID | None = None


async def transition(
    uow: UnitOfWork,
    actor: Actor,
    report_id: uuid.UUID,
    command: Command,
    *,
    now: datetime,
    max_open_jobs: int,
) -> RowMapping:
    row = await visible_report(uow, actor, report_id, for_update=True)
    if not access.may(actor, facts(row), command.action):
        raise _forbid()
    current = Status(row["status"])
    action = command.action
    step = REPORT.step(current, action)
    if not step.changed:
        if action in (Action.ASSIGN, Action.GRAB):
            wanted = actor.user_id if action is Action.GRAB else command.staff_id
            if row["assignee_id"] != wanted:
                raise DomainError("report_already_assigned")
        await uow.commit()
        return row
    target = step.after
    changes: dict[str, Any] = {"status": target.value, "updated_at": now}
    category = await repo.get_category(uow.session, row["community_id"], row["category"])

    if action is Action.ACCEPT:
        changes["accepted_at"] = now
        if now > row["due_accept_at"] and row["accept_breached_at"] is None:
            changes["accept_breached_at"] = now
    elif action in (Action.ASSIGN, Action.GRAB, Action.TRANSFER):
        if action is Action.GRAB and (category is None or category["assignment_mode"] != "grab"):
            raise DomainError("category_not_grabbable")
        staff_id = actor.user_id if action is Action.GRAB else command.staff_id
        if staff_id is None:
            raise DomainError("staff_id_required", 422)
        if action is Action.TRANSFER and staff_id == row["assignee_id"]:
            raise DomainError("transfer_to_same_staff")
        await _check_assignable(uow, row, staff_id, max_open_jobs)
        changes["assignee_id"] = staff_id
    elif action is Action.RESUME:
        paused_since = row["paused_since"] or now
        changes["due_resolve_at"] = resume_shift(row["due_resolve_at"], paused_since, now)
        changes["paused_seconds"] = row["paused_seconds"] + int(max((now - paused_since).total_seconds(), 0))
        changes["paused_since"] = None
    elif action is Action.PAUSE:
        changes["paused_since"] = now
    elif action is Action.RESOLVE:
        if category is not None and category["photo_required"] and not await _has_after_photo(uow, row["id"]):
            raise DomainError("after_photo_required")
        changes.update(resolved_at=now, resolution_note=command.note)
        if row["first_resolved_at"] is None:
            changes["first_resolved_at"] = now
        if now > row["due_resolve_at"] and row["resolve_breached_at"] is None:
            changes["resolve_breached_at"] = now
    elif action in (Action.CONFIRM, Action.AUTO_CLOSE):
        changes["closed_at"] = now
    elif action is Action.REOPEN:
        if not reopen_allowed(current, row["closed_at"], now):
            raise DomainError("reopen_window_passed")
        resolve_hours = category["sla_resolve_hours"] if category is not None else 72
        changes.update(
            reopen_count=row["reopen_count"] + 1,
            assignee_id=None,
            resolved_at=None,
            closed_at=None,
            due_resolve_at=now + timedelta(hours=resolve_hours),
        )
    elif action is Action.REJECT:
        if command.reject_reason is None:
            raise DomainError("reject_reason_required", 422)
        if command.reject_reason == "duplicate":
            await _check_duplicate_target(uow, row, command.duplicate_of)
            changes["duplicate_of"] = command.duplicate_of
        changes["reject_reason"] = command.reject_reason
    updated = await repo.update_report(uow.session, row["id"], changes)
    await record_transition(
        uow, updated, actor_id=actor.user_id, action=action, from_status=current, now=now, note=command.note
    )
    await uow.commit()
    return updated


async def record_transition(
    uow: UnitOfWork,
    row: RowMapping,
    *,
    actor_id: uuid.UUID | None,
    action: Action,
    from_status: Status,
    now: datetime,
    note: str | None,
) -> None:
    await repo.add_timeline(
        uow.session,
        row,
        at=now,
        actor_id=actor_id,
        action=action.value,
        from_status=from_status.value,
        to_status=row["status"],
        note=note,
    )
    rejected = row["status"] == Status.REJECTED.value
    uow.emit(
        ReportStatusChangedV1(
            **_event_base(row),
            from_status=from_status.value,
            to_status=row["status"],
            assignee_id=row["assignee_id"],
            supporter_ids=await repo.supporter_ids(uow.session, row["id"]),
            reject_reason=row["reject_reason"] if rejected else None,
            duplicate_of=row["duplicate_of"] if rejected else None,
        ),
        actor_id=actor_id,
    )


async def _check_assignable(
    uow: UnitOfWork, row: RowMapping, staff_id: uuid.UUID, max_open_jobs: int
) -> None:
    # Anyone of another community (or unknown here) first: the same answer whatever they are there.
    await require_members(uow.session, row["community_id"], [staff_id], people, staff)
    departments = await repo.lock_staff(uow.session, row["community_id"], staff_id)
    if row["department"] not in departments.values():
        raise DomainError("staff_not_in_department", 422, department=row["department"])
    if await repo.open_jobs(uow.session, row["community_id"], staff_id) >= max_open_jobs:
        raise DomainError("staff_at_capacity", limit=max_open_jobs)


async def _check_duplicate_target(uow: UnitOfWork, row: RowMapping, duplicate_of: uuid.UUID | None) -> None:
    if duplicate_of is None:
        raise DomainError("duplicate_of_required", 422)
    target = await repo.load_report(uow.session, row["community_id"], duplicate_of)
    if target is None or target["id"] == row["id"]:
        raise DomainError("duplicate_of_unknown", 422)


async def _has_after_photo(uow: UnitOfWork, report_id: uuid.UUID) -> bool:
    result = await uow.session.execute(
        select(func.count())
        .select_from(report_photos)
        .where(report_photos.c.report_id == report_id, report_photos.c.kind == "after")
    )
    return int(result.scalar_one()) > 0


# -- resident side beyond the state machine --------------------------------------------------------
async def rate(
    uow: UnitOfWork,
    actor: Actor,
    report_id: uuid.UUID,
    *,
    overall: int,
    speed: int,
    attitude: int,
    comment: str | None,
    now: datetime,
) -> RowMapping:
    row = await visible_report(uow, actor, report_id, for_update=True)
    if not access.may_rate_or_urge(actor, facts(row)):
        raise _forbid()
    if row["status"] not in (Status.RESOLVED.value, Status.CLOSED.value):
        raise DomainError("report_not_rateable", status=row["status"])
    if row["rated_at"] is not None:
        raise DomainError("report_already_rated")
    updated = await repo.update_report(
        uow.session,
        row["id"],
        {
            "rating_overall": overall,
            "rating_speed": speed,
            "rating_attitude": attitude,
            "rating_comment": comment,
            "rated_at": now,
            "updated_at": now,
        },
    )
    await repo.add_timeline(
        uow.session,
        row,
        at=now,
        actor_id=actor.user_id,
        action="rate",
        from_status=row["status"],
        to_status=row["status"],
        note=f"{overall}/{speed}/{attitude}",
    )
    uow.emit(
        ReportRatedV1(
            **_event_base(row),
            assignee_id=row["assignee_id"],
            overall=overall,
            speed=speed,
            attitude=attitude,
        ),
        actor_id=actor.user_id,
    )
    await uow.commit()
    return updated


async def urge(
    uow: UnitOfWork, actor: Actor, report_id: uuid.UUID, *, now: datetime, interval: timedelta
) -> RowMapping:
    row = await visible_report(uow, actor, report_id, for_update=True)
    if not access.may_rate_or_urge(actor, facts(row)):
        raise _forbid()
    if row["status"] not in {s.value for s in OPEN_STATUSES}:
        raise DomainError("report_not_open", status=row["status"])
    last = row["last_urged_at"]
    if last is not None and now - last < interval:
        retry_after = int((last + interval - now).total_seconds()) + 1
        raise DomainError("urge_too_soon", 429, seconds=retry_after, retry_after=retry_after)
    updated = await repo.update_report(uow.session, row["id"], {"last_urged_at": now})
    await repo.add_timeline(
        uow.session,
        row,
        at=now,
        actor_id=actor.user_id,
        action="urge",
        from_status=row["status"],
        to_status=row["status"],
    )
    # Only an accepted urge reaches here: a refused one raised above, so the gateway notifies the
    # assignee and the managers at most once per interval.
    uow.emit(
        ReportUrgedV1(
            **_event_base(row),
            status=row["status"],
            assignee_id=row["assignee_id"],
            urged_by=actor.user_id,
        ),
        actor_id=actor.user_id,
    )
    await uow.commit()
    return updated


async def support(uow: UnitOfWork, actor: Actor, report_id: uuid.UUID, *, now: datetime) -> RowMapping:
    row = await visible_report(uow, actor, report_id, for_update=True)
    if not access.may_support(actor, facts(row)):
        raise _forbid()
    if row["status"] not in {s.value for s in OPEN_STATUSES}:
        raise DomainError("report_not_open", status=row["status"])
    inserted = await uow.session.execute(
        pg_insert(report_supporters)
        .values(report_id=row["id"], user_id=actor.user_id, community_id=row["community_id"], created_at=now)
        .on_conflict_do_nothing()
        .returning(report_supporters.c.user_id)
    )
    if inserted.first() is None:
        await uow.commit()  # already supporting: "me too" twice is still one
        return row
    updated = await repo.update_report(uow.session, row["id"], {"support_count": reports.c.support_count + 1})
    await uow.commit()
    return updated


async def escalate(
    uow: UnitOfWork, actor: Actor, report_id: uuid.UUID, *, reason: str, note: str | None, now: datetime
) -> RowMapping:
    row = await visible_report(uow, actor, report_id, for_update=True)
    if not actor.is_committee:
        raise _forbid()
    if row["supervised_at"] is not None:
        await uow.commit()
        return row
    updated = await repo.update_report(
        uow.session, row["id"], {"supervised_at": now, "supervision_reason": reason}
    )
    await repo.add_timeline(
        uow.session,
        row,
        at=now,
        actor_id=actor.user_id,
        action="supervise",
        from_status=row["status"],
        to_status=row["status"],
        note=note or reason,
    )
    await uow.commit()
    return updated


# -- forum escalation -------------------------------------------------------------------------------
async def submit_from_thread(
    uow: UnitOfWork,
    *,
    community_id: uuid.UUID,
    thread_id: uuid.UUID,
    author_id: uuid.UUID,
    title: str,
    body: str,
    building: str | None,
    suggested_category: str | None,
    now: datetime,
) -> None:
    code = suggested_category or FALLBACK_CATEGORY
    if await repo.get_category(uow.session, community_id, code) is None:
        code = FALLBACK_CATEGORY
    await submit(
        uow,
        community_id=community_id,
        reporter_id=author_id,
        new=NewReport(
            category=code,
            description=f"{title}\n\n{body}",
            building=building,
            public_area=True,
            source="forum",
            source_thread_id=thread_id,
        ),
        now=now,
        on_conflict_thread=True,
    )


async def staff_list(
    uow: UnitOfWork, actor: Actor, *, department: str | None, max_open_jobs: int
) -> list[dict[str, Any]]:
    """The staff of a department (a manager: their own; the committee: any, or all) with their
    open jobs, in two queries however many staff there are. `on_duty` means assignable now:
    holding a staff role and below the open-jobs limit (there is no duty roster)."""
    if not actor.is_committee:
        own = actor.departments.get("property_manager")
        if own is None or (department is not None and department != own):
            raise DomainError("forbidden", 403)
        department = own
    query = select(staff.c.user_id, staff.c.role, staff.c.department, people.c.display_name).select_from(
        staff.outerjoin(
            people, (people.c.community_id == staff.c.community_id) & (people.c.user_id == staff.c.user_id)
        )
    )
    query = query.where(staff.c.community_id == actor.community_id)
    if department is not None:
        query = query.where(staff.c.department == department)
    members: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
    for row in await uow.session.execute(query):
        member = members.setdefault(
            (row.user_id, row.department),
            {"id": row.user_id, "display_name": row.display_name, "department": row.department, "roles": []},
        )
        member["roles"].append(row.role)
    jobs = await uow.session.execute(
        select(reports.c.assignee_id, reports.c.department, func.count())
        .where(
            reports.c.community_id == actor.community_id,
            reports.c.assignee_id.in_({user_id for user_id, _ in members}),
            reports.c.status.in_([s.value for s in WORKING_STATUSES]),
        )
        .group_by(reports.c.assignee_id, reports.c.department)
    )
    open_jobs = {(assignee, dept): int(count) for assignee, dept, count in jobs}
    items = []
    for key, member in members.items():
        count = open_jobs.get(key, 0)
        items.append(
            {**member, "roles": sorted(member["roles"]), "open_jobs": count, "on_duty": count < max_open_jobs}
        )
    items.sort(key=lambda m: (m["department"], m["open_jobs"], m["display_name"] or "", str(m["id"])))
    return items
