"""Hotspots (未诉先办) for managers, the committee and mediators."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from forum.api.answers import DeliberationOut, HotspotPage
from forum.api.deps import HotspotActorContext, HotspotViewerContext, named
from forum.api.types import LabelQuery
from forum.service_layer import hotspots as cases
from servicekit.pagination import Cursor, Limit

router = APIRouter(prefix="/api/v1/forum/hotspots", tags=["hotspots"])


@router.get("", response_model=HotspotPage)
@named
async def list_hotspots(
    ctx: HotspotViewerContext,
    limit: Limit = 20,
    cursor: Cursor = None,
    building: LabelQuery = None,
    keyword: LabelQuery = None,
) -> dict[str, Any]:
    return await cases.list_hotspots(
        ctx.uow, ctx.actor, building=building, keyword=keyword, limit=limit, cursor=cursor
    )


@router.post("/{hotspot_id}/deliberation", status_code=201, response_model=DeliberationOut)
@named
async def to_deliberation(
    hotspot_id: uuid.UUID, ctx: HotspotActorContext, response: Response
) -> dict[str, Any]:
    """Turn the hotspot into a 议事 topic in one call (again: the same topic, 200)."""
    deliberation, created = await cases.to_deliberation(
        ctx.uow, ctx.actor, hotspot_id, settings=ctx.settings, now=ctx.now
    )
    if not created:
        response.status_code = 200
    return deliberation
