"""`/api/v1/reports/open311-keys`: admins make and revoke the API keys Open311 clients POST
with. The key is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy import insert, select, update

from reports.adapters.tables import open311_keys
from reports.api.deps import Context
from reports.api.schemas import KeyIn, KeyOut
from servicekit.auth import CurrentUser, require_roles
from servicekit.errors import ProblemError

router = APIRouter(prefix="/api/v1/reports/open311-keys", tags=["open311"])

Admin = Annotated[CurrentUser, Depends(require_roles("admin"))]


@router.post("", status_code=201, response_model=KeyOut)
async def create_key(body: KeyIn, ctx: Context, _: Admin) -> KeyOut:
    api_key = "o311_" + secrets.token_urlsafe(32)
    values = {
        "id": uuid.uuid4(),
        "community_id": ctx.viewer.community_id,
        "key_hash": hashlib.sha256(api_key.encode()).hexdigest(),
        "label": body.label,
        "created_by": ctx.viewer.user_id,
        "created_at": ctx.now,
    }
    await ctx.uow.session.execute(insert(open311_keys).values(**values))
    await ctx.uow.commit()
    return KeyOut(id=values["id"], label=body.label, created_at=ctx.now, revoked_at=None, api_key=api_key)


@router.get("", response_model=list[KeyOut])
async def list_keys(ctx: Context, _: Admin) -> list[KeyOut]:
    rows = await ctx.uow.session.execute(
        select(open311_keys)
        .where(open311_keys.c.community_id == ctx.viewer.community_id)
        .order_by(open311_keys.c.created_at.desc())
    )
    return [
        KeyOut(id=row["id"], label=row["label"], created_at=row["created_at"], revoked_at=row["revoked_at"])
        for row in rows.mappings()
    ]


@router.delete("/{key_id}", status_code=204, response_class=Response)
async def revoke_key(key_id: uuid.UUID, ctx: Context, _: Admin) -> Response:
    result = await ctx.uow.session.execute(
        update(open311_keys)
        .where(
            open311_keys.c.id == key_id,
            open311_keys.c.community_id == ctx.viewer.community_id,
            open311_keys.c.revoked_at.is_(None),
        )
        .values(revoked_at=ctx.now)
        .returning(open311_keys.c.id)
    )
    if result.first() is None:
        raise ProblemError("open311_key_not_found", 404)
    await ctx.uow.commit()
    return Response(status_code=204)
