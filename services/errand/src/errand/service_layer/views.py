"""What each party sees of an order (docs/architecture.md §4 personal data).

- the requester: everything of their own order, including the delivery code;
- the courier who accepted: exact places, phones, parcel code and bill account while the order is
  theirs and active (accepted, arrived, picked up), masked from delivery on; never the delivery code;
- the recipient (a verified member of the receiving household): the order and its delivery code;
- admin: the order and its timeline with places coarse (building) and codes masked;
- the feed (any courier before accepting): coarse cards only, built by `feed_card`.
Once an order is final, parcel codes, bill accounts and the delivery code are masked for everyone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from errand.adapters.tables import couriers, people
from errand.domain.orders import ACTIVE_FOR_COURIER, FINAL, OrderStatus
from errand.domain.rules import PointsRules, level_for, mask
from errand.service_layer.access import Party
from servicekit.db import UnitOfWork
from servicekit.people import names_of, person_ref


@dataclass(frozen=True)
class OrderPeople:
    """The names (and couriers' levels) the orders of one answer show, loaded at once."""

    names: dict[uuid.UUID, str | None] = field(default_factory=dict)
    levels: dict[uuid.UUID, dict[str, str]] = field(default_factory=dict)


async def order_people(
    uow: UnitOfWork,
    community_id: uuid.UUID,
    rows: Iterable[Any],
    rules: PointsRules,
    timeline: Iterable[Any] = (),
) -> OrderPeople:
    """Everyone the orders ``rows`` (and ``timeline``) show: one query for the names, one for
    the couriers' levels, however many orders there are."""
    rows = list(rows)
    ids = {row.requester_id for row in rows} | {row.courier_id for row in rows if row.courier_id}
    ids |= {row.actor_id for row in timeline if row.actor_id}
    names = await names_of(uow.session, people, community_id, ids)
    courier_ids = {row.courier_id for row in rows if row.courier_id}
    levels: dict[uuid.UUID, dict[str, str]] = {}
    if courier_ids:
        profiles = await uow.session.execute(
            select(couriers.c.user_id, couriers.c.points).where(
                couriers.c.community_id == community_id, couriers.c.user_id.in_(courier_ids)
            )
        )
        for profile in profiles:
            level = level_for(rules, profile.points)
            levels[profile.user_id] = {"code": level.code, "name": level.name_zh}
    return OrderPeople(names, levels)


def _person(user_id: uuid.UUID | None, found: OrderPeople) -> dict[str, Any] | None:
    ref = person_ref(user_id, found.names)
    return None if ref is None else {"id": str(user_id), "display_name": ref["display_name"]}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def feed_card(order: Any) -> dict[str, Any]:
    """The only facts a courier sees before accepting: no unit, room, address line or codes."""
    details = order.details or {}
    return {
        "id": str(order.id),
        "type": order.order_type,
        "price_fen": order.price_fen,
        "tip_fen": order.tip_fen,
        "pickup_building": order.pickup_building,
        "dropoff_building": order.dropoff_building,
        "item_count": len(details.get("items") or []),
        "weight_kg": details.get("weight_kg"),
        "scheduled_at": _iso(order.scheduled_at),
        "created_at": _iso(order.created_at),
        # Orders received by an elderly-alone household go first and are marked for the courier as
        # "priority" (关爱优先); the household flag itself is not named (it stays with committee/admin).
        "priority": bool(order.elderly_alone),
    }


def _recipient(recipient: dict[str, Any] | None, party: Party, exact: bool) -> dict[str, Any] | None:
    if not recipient:
        return None
    if exact:
        shown = {"name": recipient["name"], "phone": recipient["phone"]}
        if party is Party.REQUESTER:
            shown["household_id"] = recipient.get("household_id")
        return shown
    name = str(recipient["name"])
    return {"name": name[:1] + "*" * (len(name) - 1), "phone": mask(recipient["phone"], 4)}


def order_view(
    order: Any, party: Party, timeline: list[Any] | None = None, people_: OrderPeople | None = None
) -> dict[str, Any]:
    """The order as ``party`` sees it. Its requester and courier appear as `{id, display_name}`
    beside their ids; the courier's level is shown to the requester (and admin)."""
    found = people_ or OrderPeople()
    courier = _person(order.courier_id, found)
    if courier is not None and party is not Party.COURIER:
        courier["level"] = found.levels.get(order.courier_id)
    details = dict(order.details or {})
    parcel_code = details.pop("parcel_code", None)
    bill_account = details.pop("bill_account", None)
    final = OrderStatus(order.status) in FINAL
    status = OrderStatus(order.status)
    exact = party in (Party.REQUESTER, Party.RECIPIENT) or (
        party is Party.COURIER and status in ACTIVE_FOR_COURIER
    )
    if not exact or final:
        parcel_code, bill_account = mask(parcel_code), mask(bill_account)
    delivery_code: str | None = None
    if party in (Party.REQUESTER, Party.RECIPIENT):
        delivery_code = mask(order.delivery_code, 0) if final else order.delivery_code
    view: dict[str, Any] = {
        "id": str(order.id),
        "type": order.order_type,
        "status": order.status,
        "requester_id": str(order.requester_id),
        "courier_id": str(order.courier_id) if order.courier_id else None,
        "requester": _person(order.requester_id, found),
        "courier": courier,
        "price_fen": order.price_fen,
        "tip_fen": order.tip_fen,
        "breakdown": order.breakdown,
        "note": order.note if exact else None,
        "pickup": order.pickup if exact else None,
        "dropoff": order.dropoff if exact else None,
        "recipient": _recipient(order.recipient, party, exact),
        "pickup_building": order.pickup_building,
        "dropoff_building": order.dropoff_building,
        "distance_m": order.distance_m,
        "details": details,
        "pickup_code": parcel_code,
        "bill_account": bill_account,
        "delivery_code": delivery_code,
        "scheduled_at": _iso(order.scheduled_at),
        "created_at": _iso(order.created_at),
        "dispatch_expires_at": _iso(order.dispatch_expires_at),
        "accepted_at": _iso(order.accepted_at),
        "delivered_at": _iso(order.delivered_at),
        "auto_complete_at": _iso(order.auto_complete_at),
        "completed_at": _iso(order.completed_at),
        "completion": order.completion,
        "cancel_fee_fen": order.cancel_fee_fen,
        "cancel_reason": order.cancel_reason,
        "fail_reason": order.fail_reason,
        "rating": (
            {"stars": order.rating_stars, "comment": order.rating_comment}
            if order.rating_stars is not None
            else None
        ),
    }
    if timeline is not None:

        def courier_wrote(row: Any) -> bool:
            return party is Party.COURIER and row.actor_id is not None and row.actor_id == order.courier_id

        view["timeline"] = [
            {
                "action": row.action,
                "from_status": row.from_status,
                "to_status": row.to_status,
                "actor_id": str(row.actor_id) if row.actor_id else None,
                "actor": _person(row.actor_id, found),
                "actor_role": row.actor_role,
                "at": _iso(row.at),
                # A courier always reads what they wrote themselves (a proof note, a release reason).
                "note": row.note if exact or courier_wrote(row) else None,
            }
            for row in timeline
        ]
    return view
