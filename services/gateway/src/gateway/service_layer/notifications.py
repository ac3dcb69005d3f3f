"""The per-user inbox: user-targeted events become notifications; read them, mark them read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Row, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from contracts import Envelope, EventPayload
from gateway import notification_texts
from gateway.adapters.tables import notifications, role_grants, users
from gateway.service_layer import wechat_push
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.i18n import SUPPORTED_LOCALES, negotiate_locale

# Who hears about what (docs/contract.md §Events): the people an event is about, never its actor.
_ORDER_REQUESTER = {
    "errand.order.created.v1",
    "errand.order.accepted.v1",
    "errand.order.picked_up.v1",
    "errand.order.delivered.v1",
    "errand.order.expired.v1",
}
_ORDER_COURIER = {"errand.order.completed.v1", "errand.order.cancelled.v1"}
# Order progress also reaches the household the order is for (吕女士's mother), when it is not the
# requester's own: its verified members, resolved here from `recipient_household_id`.
_ORDER_RECIPIENT = {
    "errand.order.created.v1",
    "errand.order.accepted.v1",
    "errand.order.picked_up.v1",
    "errand.order.delivered.v1",
}
# The delivery code owed to a recipient named by phone: the account of that phone, if any (else the
# consumer texts it, see consumers.py).
RECIPIENT_CODE = "errand.order.recipient_code.v1"
# Money (payments service): the payer hears of a refund and of an order that closed unpaid; the
# courier of an order's earnings credited.
_PAYER = {"payments.payment.failed.v1", "payments.refund.succeeded.v1"}
_SETTLED = "errand.order.settled.v1"
_HOTSPOT_AUDIENCE = ("property_manager", "committee")
_DEPARTMENT_STAFF = ("property_staff", "property_manager")

CONSUMED = (
    *sorted(_ORDER_REQUESTER | _ORDER_COURIER),
    RECIPIENT_CODE,
    _SETTLED,
    *sorted(_PAYER),
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


class Publisher(Protocol):
    """Pushes notifications live once their transaction commits (the notification hub)."""

    def publish_after_commit(self, uow: UnitOfWork, items: list[dict[str, Any]]) -> None: ...


async def notify_decision(
    uow: UnitOfWork,
    publisher: Publisher | None,
    *,
    community_id: uuid.UUID,
    user_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
) -> None:
    """Tell an applicant of a decision the gateway itself took, in the deciding transaction."""
    items = await write(
        uow,
        community_id=community_id,
        user_ids={user_id},
        event_id=uuid.uuid4(),
        event_type=event_type,
        data={"community_id": str(community_id), **data},
    )
    if items and publisher is not None:
        publisher.publish_after_commit(uow, items)


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
    if kind in _ORDER_REQUESTER or kind in _ORDER_COURIER:
        found = _ids(payload.get("requester_id")) if kind in _ORDER_REQUESTER else set()
        if kind in _ORDER_COURIER:
            found |= _ids(payload.get("courier_id"))
        if kind in _ORDER_RECIPIENT and payload.get("recipient_household_id"):
            found |= await _household_members(uow, payload)
        if kind in _ORDER_RECIPIENT and kind != "errand.order.created.v1":
            found |= await _told_the_code(uow, payload)
    elif kind == RECIPIENT_CODE:
        found = await account_of_phone(uow, payload)
    elif kind == _SETTLED:
        found = _ids(payload.get("courier_id"))
    elif kind in _PAYER:
        found = _ids(payload.get("payer_id"))
    elif kind == "reports.report.submitted.v1":
        # A new report reaches the staff and managers of its category's department.
        found = await _with_roles(uow, payload, _DEPARTMENT_STAFF, department=payload.get("department"))
    elif kind == "reports.report.status_changed.v1":
        found = _ids(payload.get("reporter_id"), payload.get("assignee_id"), payload.get("supporter_ids"))
    elif kind == "reports.report.overdue.v1":
        found = (
            _ids(payload.get("assignee_id"))
            | await _department_managers(uow, payload)
            | await _with_roles(uow, payload, ("committee",))
        )
    elif kind == "reports.report.rated.v1":
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
        found = await _with_roles(uow, payload, _HOTSPOT_AUDIENCE)
    else:
        found = set()
    found.discard(envelope.actor_id)
    return await _members(uow, payload, found)


def national_phone(phone: str) -> str:
    """``+86 138-0000-0000`` -> ``13800000000``: the form accounts and the SMS adapter use."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


async def account_of_phone(uow: UnitOfWork, payload: dict[str, Any]) -> set[uuid.UUID]:
    """The live account of the payload's `recipient_phone` in its community (none or one)."""
    found = await uow.session.scalar(
        select(users.c.id).where(
            users.c.phone == national_phone(str(payload["recipient_phone"])),
            users.c.community_id == uuid.UUID(str(payload["community_id"])),
            users.c.deleted_at.is_(None),
        )
    )
    return set() if found is None else {found}


async def _told_the_code(uow: UnitOfWork, payload: dict[str, Any]) -> set[uuid.UUID]:
    """A recipient named by phone who has an account follows the order's progress too: whoever
    was told its delivery code."""
    return set(
        (
            await uow.session.scalars(
                select(notifications.c.user_id).where(
                    notifications.c.community_id == uuid.UUID(str(payload["community_id"])),
                    notifications.c.event_type == RECIPIENT_CODE,
                    notifications.c.data["order_id"].astext == str(payload["order_id"]),
                )
            )
        ).all()
    )


async def _with_roles(
    uow: UnitOfWork, payload: dict[str, Any], roles: tuple[str, ...], *, department: object = None
) -> set[uuid.UUID]:
    """The community's holders of any of ``roles`` (of ``department`` when one is given)."""
    query = select(role_grants.c.user_id).where(
        role_grants.c.community_id == uuid.UUID(str(payload["community_id"])),
        role_grants.c.role.in_(roles),
    )
    if department is not None:
        query = query.where(role_grants.c.department == department)
    return set((await uow.session.scalars(query)).all())


async def _department_managers(uow: UnitOfWork, payload: dict[str, Any]) -> set[uuid.UUID]:
    """The community's property managers who work for the report's department."""
    return await _with_roles(uow, payload, ("property_manager",), department=payload.get("department"))


async def _household_members(uow: UnitOfWork, payload: dict[str, Any]) -> set[uuid.UUID]:
    """The verified members of the order's receiving household (approved claims set it)."""
    return set(
        (
            await uow.session.scalars(
                select(users.c.id).where(
                    users.c.household_id == uuid.UUID(str(payload["recipient_household_id"])),
                    users.c.community_id == uuid.UUID(str(payload["community_id"])),
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
    return await write(
        uow,
        community_id=event.community_id,
        user_ids=targets,
        event_id=envelope.event_id,
        event_type=envelope.event_type,
        data=envelope.payload,
    )


async def write(
    uow: UnitOfWork,
    *,
    community_id: uuid.UUID,
    user_ids: set[uuid.UUID],
    event_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
) -> list[dict[str, Any]]:
    """Notify ``user_ids`` of one event, in the caller's transaction (at most once per user and
    event). The stored data is the event's; the words are rendered when the notification is read."""
    if not user_ids:
        return []
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "community_id": community_id,
            "user_id": user_id,
            "event_id": event_id,
            "event_type": event_type,
            "data": data,
            "created_at": now,
        }
        for user_id in sorted(user_ids)
    ]
    result = await uow.session.execute(
        pg_insert(notifications)
        .values(rows)
        .on_conflict_do_nothing(constraint="notifications_once_per_event")
        .returning(*notifications.c)
    )
    written = [shape(row) for row in result]
    await wechat_push.enqueue(uow, written)  # 订阅消息 for subscribed WeChat users, same transaction
    return written


def shape(row: Row[Any]) -> dict[str, Any]:
    """A notification as stored; `user_id` and `community_id` say whose inbox holds it (the live
    push is routed by both), the API shows neither. `present` adds the words."""
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


def present(item: dict[str, Any], locale: str) -> dict[str, Any]:
    """The notification as the inbox and the stream show it: title and body in ``locale``, a link
    to the object it is about."""
    data = item["data"]
    title, body = notification_texts.render(item["event_type"], data, locale, str(item["user_id"]))
    return {**item, "title": title, "body": body, "link": notification_texts.link(item["event_type"], data)}


async def reader_locale(uow: UnitOfWork, user_id: uuid.UUID, accept_language: str | None) -> str:
    """The profile's locale, else the reading request's Accept-Language, else zh-CN."""
    stored = await uow.session.scalar(select(users.c.locale).where(users.c.id == user_id))
    if stored in SUPPORTED_LOCALES:
        return str(stored)
    return negotiate_locale(accept_language)


async def since(
    uow: UnitOfWork, user_id: uuid.UUID, community_id: uuid.UUID, last_id: uuid.UUID, *, limit: int = 500
) -> list[dict[str, Any]]:
    """What this inbox received after notification ``last_id``, oldest first (a stream's replay
    after `Last-Event-ID`). An id that is not this inbox's replays nothing."""
    last = (
        await uow.session.execute(
            select(notifications.c.created_at, notifications.c.id).where(
                notifications.c.id == last_id,
                notifications.c.user_id == user_id,
                notifications.c.community_id == community_id,
            )
        )
    ).first()
    if last is None:
        return []
    rows = (
        await uow.session.execute(
            select(notifications)
            .where(
                notifications.c.user_id == user_id,
                notifications.c.community_id == community_id,
                tuple_(notifications.c.created_at, notifications.c.id) > (last.created_at, last.id),
            )
            .order_by(notifications.c.created_at, notifications.c.id)
            .limit(limit)
        )
    ).all()
    return [shape(row) for row in rows]


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
