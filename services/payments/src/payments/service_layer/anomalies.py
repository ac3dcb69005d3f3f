"""What WeChat Pay said that was verified but not believed (an amount or merchant not ours, an
unknown order or refund, a refund that failed), for a person to decide: nothing here was credited."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select

from payments.adapters.tables import provider_anomalies
from servicekit.db import UnitOfWork
from servicekit.pagination import CursorInt, CursorModel, encode_cursor, read_cursor


class AnomalyCursor(CursorModel):
    id: CursorInt


async def list_anomalies(
    uow: UnitOfWork, community_id: uuid.UUID, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    """Newest first (by their ever-growing id), without the payer's identity: this community's and
    those no community can be named for."""
    query = select(provider_anomalies).where(
        or_(
            provider_anomalies.c.community_id == community_id,
            provider_anomalies.c.community_id.is_(None),
        )
    )
    position = read_cursor(cursor, AnomalyCursor)
    if position is not None:
        query = query.where(provider_anomalies.c.id < position.id)
    rows = (
        (await uow.session.execute(query.order_by(provider_anomalies.c.id.desc()).limit(limit + 1)))
        .mappings()
        .all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [
            {
                "id": str(row["id"]),
                "kind": row["kind"],
                "out_trade_no": row["out_trade_no"],
                "detail": row["detail"],
                "at": row["created_at"].isoformat(),
            }
            for row in rows
        ],
        "next_cursor": encode_cursor({"id": rows[-1]["id"]}) if more else None,
    }
