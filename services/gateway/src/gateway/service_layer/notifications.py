"""The per-user inbox: user-targeted events become notifications; read them, mark them read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from contracts import Envelope, EventPayload
from gateway.adapters.tables import notifications, role_grants, users
from gateway.domain.identity import DomainError
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork

# Who hears about what (API.md §Events): the people an event is about, never its actor.
_ORDER_REQUESTER = {
    "errand.order.created.v1",
    "errand.order.accepted.v1",
    "errand.order.picked_up.v1",
    "errand.order.delivered.v1",
    "errand.order.expired.v1",
}
_ORDER_COURIER = {"errand.order.completed.v1", "errand.order.cancelled.v1"}
_HOTSPOT_AUDIENCE = ("property_manager", "committee")

CONSUMED = (
    *sorted(_ORDER_REQUESTER | _ORDER_COURIER),
    "reports.report.submitted.v1",
    "reports.report.status_changed.v1",
    "reports.report.overdue.v1",
    "reports.report.rated.v1",
    "reports.report.urged.v1",
    "forum.post.mentioned.v1",
    "forum.dispute.state_changed.v1",
    "forum.deliberation.state_changed.v1",
    "forum.hotspot.detected.v1",
)


def _ids(*values: object) -> set[uuid.UUID]:
    out: set[uuid.UUID] = set()
    for value in values:
        if isinstance(value, list):
            out.update(uuid.UUID(str(item)) for item in value)
        elif value:
            out.add(uuid.UUID(str(value)))
    return out


async def recipients(uow: UnitOfWork, envelope: Envelope, event: EventPayload) -> set[uuid.UUID]:
    # The consumer validated the payload against its contract model: every field the branch below
    # reads is there, with its type (a payload of the wrong shape went to the DLQ instead).
    payload = event.model_dump()
    kind = envelope.event_type
    if kind in _ORDER_REQUESTER:
        found = _ids(payload.get("requester_id"))
    elif kind in _ORDER_COURIER:
        found = _ids(payload.get("courier_id"))
    elif kind == "reports.report.submitted.v1":
        found = _ids(payload.get("reporter_id"))
    elif kind == "reports.report.status_changed.v1":
        found = _ids(payload.get("reporter_id"), payload.get("assignee_id"), payload.get("supporter_ids"))
    elif kind in ("reports.report.overdue.v1", "reports.report.rated.v1"):
        found = _ids(payload.get("assignee_id"))
    elif kind in ("forum.dispute.state_changed.v1", "forum.deliberation.state_changed.v1"):
        found = _ids(payload.get("notify_user_ids"))
    elif kind == "reports.report.urged.v1":
        found = _ids(payload.get("assignee_id")) | await _department_managers(uow, payload)
        # The urging reporter is the actor, but say so from the payload too: an envelope without
        # actor_id must not send the reporter's own 催单 back to them.
        found -= _ids(payload.get("urged_by"))
    elif kind == "forum.post.mentioned.v1":
        found = _ids(payload.get("mentioned_user_ids")) - _ids(payload.get("author_id"))
    elif kind == "forum.hotspot.detected.v1":
        found = set(
            (
                await uow.session.scalars(
                    select(role_grants.c.user_id).where(
                        role_grants.c.community_id == uuid.UUID(str(payload["community_id"])),
                        role_grants.c.role.in_(_HOTSPOT_AUDIENCE),
                    )
                )
            ).all()
        )
    else:
        found = set()
    found.discard(envelope.actor_id)
    return await _members(uow, payload, found)


async def _department_managers(uow: UnitOfWork, payload: dict[str, Any]) -> set[uuid.UUID]:
    """The community's property managers who work for the report's department."""
    return set(
        (
            await uow.session.scalars(
                select(role_grants.c.user_id).where(
                    role_grants.c.community_id == uuid.UUID(str(payload["community_id"])),
                    role_grants.c.role == "property_manager",
                    role_grants.c.department == payload.get("department"),
                )
            )
        ).all()
    )


async def _members(uow: UnitOfWork, payload: dict[str, Any], user_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``user_ids`` who are users of the event's community (one query): an event never
    reaches beyond its community, whatever ids its producer put in it."""
    if not user_ids:
        return set()
    return set(
        (
            await uow.session.scalars(
                select(users.c.id).where(
                    users.c.id.in_(user_ids),
                    users.c.community_id == uuid.UUID(str(payload["community_id"])),
                )
            )
        ).all()
    )


async def record(uow: UnitOfWork, envelope: Envelope, event: EventPayload) -> list[dict[str, Any]]:
    """Write one notification per recipient (once per event, even when redelivered)."""
    targets = await recipients(uow, envelope, event)
    if not targets:
        return []
    community_id = event.community_id
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "community_id": community_id,
            "user_id": user_id,
            "event_id": envelope.event_id,
            "event_type": envelope.event_type,
            "data": envelope.payload,
            "created_at": now,
        }
        for user_id in sorted(targets)
    ]
    result = await uow.session.execute(
        pg_insert(notifications)
        .values(rows)
        .on_conflict_do_nothing(constraint="notifications_once_per_event")
        .returning(*notifications.c)
    )
    return [shape(row) for row in result]


def shape(row: Row[Any]) -> dict[str, Any]:
    """A notification; `user_id` and `community_id` say whose inbox holds it (the live push is
    routed by both), the API shows neither."""
    return {
        "id": row.id,
        "user_id": row.user_id,
        "community_id": row.community_id,
        "event_type": row.event_type,
        "event_id": row.event_id,
        "data": row.data,
        "read": row.read_at is not None,
        "read_at": row.read_at,
        "created_at": row.created_at,
    }


async def inbox(
    uow: UnitOfWork,
    user: CurrentUser,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    unread_only: bool,
) -> tuple[list[dict[str, Any]], tuple[datetime, uuid.UUID] | None]:
    query = (
        select(notifications)
        .where(notifications.c.user_id == user.id, notifications.c.community_id == user.community_id)
        .order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
        .limit(limit + 1)
    )
    if unread_only:
        query = query.where(notifications.c.read_at.is_(None))
    if after is not None:
        query = query.where(tuple_(notifications.c.created_at, notifications.c.id) < after)
    rows = (await uow.session.execute(query)).all()
    items = [shape(row) for row in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return items, None if last is None else (last.created_at, last.id)


async def mark_read(uow: UnitOfWork, user: CurrentUser, notification_id: uuid.UUID) -> dict[str, Any]:
    """Another user's notification is not found (404); marking twice keeps the first time."""
    row = (
        await uow.session.execute(
            select(notifications).where(
                notifications.c.id == notification_id,
                notifications.c.user_id == user.id,
                notifications.c.community_id == user.community_id,
            )
        )
    ).first()
    if row is None:
        raise DomainError("not_found", 404)
    if row.read_at is None:
        await uow.session.execute(
            update(notifications)
            .where(notifications.c.id == notification_id)
            .values(read_at=datetime.now(UTC))
        )
        await uow.commit()
        row = (
            await uow.session.execute(select(notifications).where(notifications.c.id == notification_id))
        ).one()
    return shape(row)
