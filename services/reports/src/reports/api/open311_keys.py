"""`/api/v1/reports/open311-keys`: admins make and revoke the API keys Open311 clients POST
with. The key is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from reports.api.deps import Context
from reports.api.schemas import KeyIn, KeyOut
from reports.service_layer import open311_keys as cases
from servicekit.auth import CurrentUser, require_roles

router = APIRouter(prefix="/api/v1/reports/open311-keys", tags=["open311"])

Admin = Annotated[CurrentUser, Depends(require_roles("admin"))]


@router.post("", status_code=201, response_model=KeyOut)
async def create_key(body: KeyIn, ctx: Context, _: Admin) -> KeyOut:
    row = await cases.create_key(
        ctx.uow, ctx.actor.community_id, label=body.label, created_by=ctx.actor.user_id, now=ctx.now
    )
    return KeyOut(
        id=row["id"],
        label=row["label"],
        created_at=row["created_at"],
        revoked_at=None,
        api_key=row["api_key"],
    )


@router.get("", response_model=list[KeyOut])
async def list_keys(ctx: Context, _: Admin) -> list[KeyOut]:
    return [
        KeyOut(id=row["id"], label=row["label"], created_at=row["created_at"], revoked_at=row["revoked_at"])
        for row in await cases.list_keys(ctx.uow, ctx.actor.community_id)
    ]


@router.delete("/{key_id}", status_code=204, response_class=Response)
async def revoke_key(key_id: uuid.UUID, ctx: Context, _: Admin) -> Response:
    await cases.revoke_key(ctx.uow, ctx.actor.community_id, key_id, now=ctx.now)
    return Response(status_code=204)
