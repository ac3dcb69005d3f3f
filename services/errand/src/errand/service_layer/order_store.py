"""The order rows written once: load (optionally locked), step through the state machine with its
timeline row, render with the people it shows, the event fields, the open-order index entry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from errand.adapters.tables import (
    order_timeline,
    orders,
)
from errand.domain.orders import ORDER, Action, OrderStatus
from errand.service_layer.access import Party
from errand.service_layer.context import ErrandContext
from errand.service_layer.views import feed_card, order_people, order_view
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.errors import NotFound


async def index_open(ctx: ErrandContext, row: Any) -> None:
    await ctx.index.add_open(
        row.community_id, row.id, lat=row.lat, lng=row.lng, elderly=row.elderly_alone, card=feed_card(row)
    )


async def load_order(uow: UnitOfWork, actor: CurrentUser, order_id: uuid.UUID, *, lock: bool = False) -> Any:
    query = select(orders).where(orders.c.id == order_id, orders.c.community_id == actor.community_id)
    if lock:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise NotFound()
    return row


async def move(
    uow: UnitOfWork,
    row: Any,
    action: Action,
    *,
    actor: uuid.UUID | None,
    role: str,
    at: datetime,
    values: dict[str, Any],
    note: str | None = None,
) -> Any:
    """Apply ``action`` to a locked row; None when it was already applied (a safe repeat)."""
    current = OrderStatus(row.status)
    step = ORDER.step(current, action)
    if not step.changed:
        return None
    target = step.after
    updated = (
        await uow.session.execute(
            update(orders)
            .where(orders.c.id == row.id)
            .values(status=target.value, updated_at=at, **values)
            .returning(orders)
        )
    ).one()
    await record_timeline(uow, updated, current, action.value, actor=actor, role=role, at=at, note=note)
    return updated


async def record_timeline(
    uow: UnitOfWork,
    row: Any,
    from_status: OrderStatus | None,
    action: str,
    *,
    actor: uuid.UUID | None,
    role: str,
    at: datetime,
    note: str | None = None,
) -> Any:
    return (
        await uow.session.execute(
            insert(order_timeline)
            .values(
                order_id=row.id,
                community_id=row.community_id,
                action=action,
                from_status=from_status.value if from_status else None,
                to_status=row.status,
                actor_id=actor,
                actor_role=role,
                at=at,
                note=note,
            )
            .returning(order_timeline)
        )
    ).one()


async def load_timeline(uow: UnitOfWork, order_id: uuid.UUID) -> list[Any]:
    return list(
        (
            await uow.session.execute(
                select(order_timeline)
                .where(order_timeline.c.order_id == order_id)
                .order_by(order_timeline.c.id)
            )
        ).all()
    )


async def view_of(ctx: ErrandContext, uow: UnitOfWork, row: Any, party: Party) -> dict[str, Any]:
    """One order with its timeline and the people they show (names in one query)."""
    timeline = await load_timeline(uow, row.id)
    found = await order_people(uow, row.community_id, [row], ctx.settings.points, timeline)
    return order_view(row, party, timeline=timeline, people_=found)


async def finish(ctx: ErrandContext, uow: UnitOfWork, row: Any, party: Party) -> dict[str, Any]:
    view = await view_of(ctx, uow, row, party)
    await uow.commit()
    return view


def event_fields(row: Any) -> dict[str, Any]:
    return {
        "community_id": row.community_id,
        "order_id": row.id,
        "requester_id": row.requester_id,
        "courier_id": row.courier_id,
        "order_type": row.order_type,
        "price_fen": row.price_fen,
        "recipient_household_id": row.recipient_household_id,
    }
