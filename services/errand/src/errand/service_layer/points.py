"""The courier points ledger: one row per award and the running total on the courier profile."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, update

from errand.adapters.tables import (
    couriers,
    points_ledger,
)
from servicekit.db import UnitOfWork


async def add_points(
    uow: UnitOfWork,
    community_id: uuid.UUID,
    courier_id: uuid.UUID,
    order_id: uuid.UUID | None,
    reason: str,
    points: int,
    at: datetime,
) -> None:
    await uow.session.execute(
        insert(points_ledger).values(
            community_id=community_id,
            courier_id=courier_id,
            order_id=order_id,
            reason=reason,
            points=points,
            at=at,
        )
    )
    await uow.session.execute(
        update(couriers)
        .where(couriers.c.community_id == community_id, couriers.c.user_id == courier_id)
        .values(points=couriers.c.points + points, updated_at=at)
    )
