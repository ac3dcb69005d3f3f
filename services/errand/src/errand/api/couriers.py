"""The courier's side: presence, the feed, points and earnings; the committee's statistics."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from errand.api.deps import Courier, Ctx, Supervisor, UoW
from errand.api.schemas import EarningsOut, FeedOut, PointsOut, PresenceIn, PresenceOut, StatsOut
from errand.service_layer import couriers as cases
from errand.service_layer.stats import stats as stats_case
from servicekit.pagination import Cursor, Limit

router = APIRouter(prefix="/api/v1/errand", tags=["errand couriers"])


@router.put(
    "/courier/presence",
    summary="Go online with a location, or offline",
    response_model=PresenceOut,
    response_model_exclude_unset=True,
)
async def presence(body: PresenceIn, user: Courier, ctx: Ctx, uow: UoW) -> dict[str, Any]:
    return await cases.set_presence(ctx, uow, user, online=body.online, lat=body.lat, lng=body.lng)


@router.get(
    "/courier/feed",
    summary="Open orders nearest first within the radius (building only)",
    response_model=FeedOut,
    response_model_exclude_unset=True,
)
async def feed(
    user: Courier,
    ctx: Ctx,
    radius_m: Annotated[int | None, Query(ge=50, le=5000)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> dict[str, Any]:
    settings = ctx.settings
    return await cases.feed(
        ctx,
        user,
        radius_m=min(radius_m or settings.feed_radius_m, settings.feed_radius_m),
        limit=min(limit or settings.feed_max_items, settings.feed_max_items),
    )


@router.get(
    "/courier/points",
    summary="Points ledger and level (领跑员 lead runner at the top)",
    response_model=PointsOut,
    response_model_exclude_unset=True,
)
async def points(
    user: Courier, ctx: Ctx, uow: UoW, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    return await cases.points(ctx, uow, user, limit=limit, cursor=cursor)


@router.get(
    "/courier/earnings",
    summary="Fee + tips of completed orders per local day or month",
    response_model=EarningsOut,
    response_model_exclude_unset=True,
)
async def earnings(
    user: Courier,
    ctx: Ctx,
    uow: UoW,
    by: Literal["day", "month"] = "day",
    periods: Annotated[int, Query(ge=1, le=366)] = 30,
) -> dict[str, Any]:
    return await cases.earnings(ctx, uow, user, by=by, periods=periods)


@router.get(
    "/stats",
    summary="Orders per day, acceptance time p50/p90, expiry rate, active couriers",
    response_model=StatsOut,
    response_model_exclude_unset=True,
)
async def stats(
    user: Supervisor, ctx: Ctx, uow: UoW, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> dict[str, Any]:
    return await stats_case(ctx, uow, user, days=days)
