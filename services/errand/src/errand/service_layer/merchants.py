"""Merchants of the living circle: list with category filter and search, created by admin or the
committee (and by the demo seed)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, or_, select

from errand.adapters.tables import merchants
from errand.service_layer.context import ErrandContext
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.pagination import CursorModel, CursorText, encode_cursor, read_cursor


def merchant_view(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "category": row.category,
        "address": row.address,
        "lat": row.lat,
        "lng": row.lng,
        "phone": row.phone,
        "opening_hours": row.opening_hours,
        "tags": [tag for tag in row.tags.split(",") if tag],
    }


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class _MerchantCursor(CursorModel):
    name: CursorText
    id: uuid.UUID


async def list_merchants(
    uow: UnitOfWork,
    actor: CurrentUser,
    *,
    category: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    query = select(merchants).where(merchants.c.community_id == actor.community_id)
    if category:
        query = query.where(merchants.c.category == category)
    if q:
        pattern = _like(q.strip())
        query = query.where(
            or_(
                merchants.c.name.ilike(pattern, escape="\\"),
                merchants.c.tags.ilike(pattern, escape="\\"),
                merchants.c.address.ilike(pattern, escape="\\"),
            )
        )
    position = read_cursor(cursor, _MerchantCursor)
    if position is not None:
        name, last_id = position.name, position.id
        query = query.where(
            (merchants.c.name > name) | ((merchants.c.name == name) & (merchants.c.id > last_id))
        )
    rows = (
        await uow.session.execute(query.order_by(merchants.c.name, merchants.c.id).limit(limit + 1))
    ).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor({"name": rows[-1].name, "id": str(rows[-1].id)})
    return {"items": [merchant_view(row) for row in rows], "next_cursor": next_cursor}


async def create_merchant(
    ctx: ErrandContext, uow: UnitOfWork, community_id: uuid.UUID, fields: dict[str, Any]
) -> dict[str, Any]:
    tags = ",".join(tag.replace(",", " ") for tag in fields.pop("tags", []) or [])
    row = (
        await uow.session.execute(
            insert(merchants)
            .values(id=uuid.uuid4(), community_id=community_id, tags=tags, created_at=ctx.now(), **fields)
            .returning(merchants)
        )
    ).one()
    await uow.commit()
    return merchant_view(row)
