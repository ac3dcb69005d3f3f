"""Couriers: profiles (from the gateway's role events), presence, the feed, points, earnings."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from errand.adapters.tables import couriers, orders, points_ledger, resident_households
from errand.domain.rules import level_for, next_level
from errand.service_layer.context import ErrandContext
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.pagination import CursorInt, CursorModel, encode_cursor, read_cursor


# -- profiles (event handlers call these) ------------------------------------------------------------
async def set_courier_active(
    uow: UnitOfWork, community_id: uuid.UUID, user_id: uuid.UUID, *, active: bool, at: datetime
) -> None:
    await uow.session.execute(
        pg_insert(couriers)
        .values(
            community_id=community_id, user_id=user_id, active=active, points=0, created_at=at, updated_at=at
        )
        .on_conflict_do_update(
            index_elements=[couriers.c.community_id, couriers.c.user_id],
            set_={"active": active, "updated_at": at},
        )
    )


async def record_household(
    uow: UnitOfWork,
    community_id: uuid.UUID,
    user_id: uuid.UUID,
    household_id: uuid.UUID,
    building: str,
    *,
    elderly_alone: bool,
    at: datetime,
) -> None:
    await uow.session.execute(
        pg_insert(resident_households)
        .values(
            community_id=community_id,
            user_id=user_id,
            household_id=household_id,
            building=building,
            elderly_alone=elderly_alone,
            verified_at=at,
        )
        .on_conflict_do_update(
            index_elements=[resident_households.c.community_id, resident_households.c.user_id],
            set_={
                "household_id": household_id,
                "building": building,
                "elderly_alone": elderly_alone,
                "verified_at": at,
            },
        )
    )
    # The flag belongs to the household: every verified member's orders are prioritised alike.
    await uow.session.execute(
        resident_households.update()
        .where(resident_households.c.household_id == household_id)
        .values(elderly_alone=elderly_alone)
    )


async def _profile(uow: UnitOfWork, actor: CurrentUser) -> Any:
    row = (
        await uow.session.execute(
            select(couriers).where(
                couriers.c.community_id == actor.community_id, couriers.c.user_id == actor.id
            )
        )
    ).first()
    if row is None or not row.active:
        raise DomainError("courier_not_verified", 403)
    return row


# -- presence and feed ------------------------------------------------------------------------------
async def set_presence(
    ctx: ErrandContext,
    uow: UnitOfWork,
    actor: CurrentUser,
    *,
    online: bool,
    lat: float | None,
    lng: float | None,
) -> dict[str, Any]:
    await _profile(uow, actor)
    if not online:
        await ctx.index.set_offline(actor.community_id, actor.id)
        return {"online": False}
    if lat is None or lng is None:
        raise DomainError("location_required", 422)
    await ctx.index.set_online(
        actor.community_id, actor.id, lat=lat, lng=lng, ttl_seconds=ctx.settings.presence_ttl_seconds
    )
    expires = ctx.now() + timedelta(seconds=ctx.settings.presence_ttl_seconds)
    return {"online": True, "lat": lat, "lng": lng, "expires_at": expires.isoformat()}


async def feed(ctx: ErrandContext, actor: CurrentUser, *, radius_m: float, limit: int) -> dict[str, Any]:
    """Open orders around the courier's reported location: Redis only, no database round trip
    (the token already says the caller is a courier; accepting re-checks the profile)."""
    cards = await ctx.index.feed(actor.community_id, actor.id, radius_m=radius_m, limit=limit)
    if cards is None:
        raise DomainError("courier_offline")
    return {
        "items": cards,
        "next_cursor": None,
        "radius_m": radius_m,
    }


# -- points and earnings ----------------------------------------------------------------------------
class _PointsCursor(CursorModel):
    id: CursorInt


async def points(
    ctx: ErrandContext, uow: UnitOfWork, actor: CurrentUser, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    profile = await _profile(uow, actor)
    rules = ctx.settings.points
    level = level_for(rules, profile.points)
    upcoming = next_level(rules, profile.points)
    query = select(points_ledger).where(
        points_ledger.c.community_id == actor.community_id, points_ledger.c.courier_id == actor.id
    )
    position = read_cursor(cursor, _PointsCursor)
    if position is not None:
        query = query.where(points_ledger.c.id < position.id)
    rows = (await uow.session.execute(query.order_by(points_ledger.c.id.desc()).limit(limit + 1))).all()
    next_cursor = encode_cursor({"id": rows[limit - 1].id}) if len(rows) > limit else None
    return {
        "points": profile.points,
        "level": {
            "code": level.code,
            "name": level.name_zh,
            "max_concurrent_jobs": level.max_concurrent_jobs,
        },
        "next_level": (
            {"code": upcoming.code, "name": upcoming.name_zh, "min_points": upcoming.min_points}
            if upcoming
            else None
        ),
        "items": [
            {
                "reason": row.reason,
                "points": row.points,
                "order_id": str(row.order_id) if row.order_id else None,
                "at": row.at.isoformat(),
            }
            for row in rows[:limit]
        ],
        "next_cursor": next_cursor,
    }


async def earnings(
    ctx: ErrandContext, uow: UnitOfWork, actor: CurrentUser, *, by: str, periods: int
) -> dict[str, Any]:
    """Completed orders' fee and tips per local day or month (Asia/Shanghai by default)."""
    await _profile(uow, actor)
    zone = ctx.settings.community_timezone
    local_now = ctx.now().astimezone(ctx.zone)
    if by == "day":
        start_local = (local_now - timedelta(days=periods - 1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    else:
        year, month = local_now.year, local_now.month - (periods - 1)
        while month <= 0:
            year, month = year - 1, month + 12
        start_local = local_now.replace(
            year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0
        )
    bucket = func.date_trunc(by, func.timezone(zone, orders.c.completed_at)).label("bucket")
    rows = (
        await uow.session.execute(
            select(
                bucket,
                func.count().label("orders"),
                func.sum(orders.c.price_fen).label("fee_fen"),
                func.sum(orders.c.tip_fen).label("tip_fen"),
            )
            .where(
                orders.c.community_id == actor.community_id,
                orders.c.courier_id == actor.id,
                orders.c.status == "completed",
                orders.c.completed_at >= start_local,
            )
            .group_by(literal_column("bucket"))
            .order_by(literal_column("bucket").desc())
        )
    ).all()
    fmt = "%Y-%m-%d" if by == "day" else "%Y-%m"
    items = [
        {
            "period": row.bucket.strftime(fmt),
            "orders": row.orders,
            "fee_fen": int(row.fee_fen),
            "tip_fen": int(row.tip_fen),
            "total_fen": int(row.fee_fen) + int(row.tip_fen),
        }
        for row in rows
    ]
    return {
        "by": by,
        "timezone": zone,
        "items": items,
        "total_fen": sum(item["total_fen"] for item in items),
    }
