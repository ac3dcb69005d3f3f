"""How the errand service runs, for the committee: orders per local day, time to acceptance
(p50/p90), the expiry rate and active couriers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, literal_column, select

from errand.adapters.tables import order_timeline, orders
from errand.service_layer import fast_stats
from errand.service_layer.context import ErrandContext
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork


async def stats(ctx: ErrandContext, uow: UnitOfWork, user: CurrentUser, *, days: int) -> dict[str, Any]:
    """From the maintained cells (fast_stats) once they are built for the community time zone."""
    if await fast_stats.ready(uow, ctx.settings.community_timezone):
        return await fast_stats.stats(ctx, uow, user, days=days)
    return await stats_exact(ctx, uow, user, days=days)


async def stats_exact(ctx: ErrandContext, uow: UnitOfWork, user: CurrentUser, *, days: int) -> dict[str, Any]:
    zone = ctx.settings.community_timezone
    start, now = fast_stats.window(ctx, days)
    scope = and_(orders.c.community_id == user.community_id, orders.c.created_at >= start)
    day = func.date(func.timezone(zone, orders.c.created_at)).label("day")
    per_day = (
        await uow.session.execute(
            select(
                day,
                func.count().label("created"),
                func.count().filter(orders.c.status == "completed").label("completed"),
                func.count().filter(orders.c.status == "expired").label("expired"),
                func.count().filter(orders.c.status == "cancelled").label("cancelled"),
            )
            .where(scope)
            .group_by(literal_column("day"))
            .order_by(literal_column("day"))
        )
    ).all()
    # Time to the first acceptance of each order (a released order keeps its first one).
    first_accept = (
        select(
            order_timeline.c.order_id,
            func.min(order_timeline.c.at).label("accepted_at"),
        )
        .where(order_timeline.c.community_id == user.community_id, order_timeline.c.action == "accept")
        .group_by(order_timeline.c.order_id)
        .subquery()
    )
    wait = func.extract("epoch", first_accept.c.accepted_at - orders.c.created_at)
    p50, p90, couriers_active = (
        await uow.session.execute(
            select(
                func.percentile_cont(0.5).within_group(wait),
                func.percentile_cont(0.9).within_group(wait),
                func.count(func.distinct(orders.c.courier_id)),
            )
            .select_from(orders.join(first_accept, first_accept.c.order_id == orders.c.id))
            .where(scope)
        )
    ).one()
    totals = {key: sum(getattr(row, key) for row in per_day) for key in ("created", "expired")}
    return {
        "from": start.isoformat(),
        "to": now.isoformat(),
        "timezone": zone,
        "orders_per_day": [
            {
                "date": row.day.isoformat(),
                "created": row.created,
                "completed": row.completed,
                "expired": row.expired,
                "cancelled": row.cancelled,
            }
            for row in per_day
        ],
        "acceptance_seconds": {
            "p50": round(float(p50), 1) if p50 is not None else None,
            "p90": round(float(p90), 1) if p90 is not None else None,
        },
        "expiry_rate": round(totals["expired"] / totals["created"], 4) if totals["created"] else 0.0,
        "couriers_active": int(couriers_active),
        "couriers_online": await ctx.index.online_count(user.community_id),
    }
