"""The community's deliberation policy: every member reads it, the committee and admins set it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from forum.api.deps import CommitteeContext, Context
from forum.service_layer import policy as cases

router = APIRouter(prefix="/api/v1/forum/policy", tags=["deliberations"])


class PolicyFields(BaseModel):
    support_threshold: int = Field(
        ge=1, le=10_000, description="households whose support sends a topic to screening"
    )
    window_days: int = Field(ge=1, le=90, description="days a topic collects support before it expires")
    quorum_households: int = Field(ge=1, le=100_000, description="households that must vote")
    pass_ratio: float = Field(
        gt=0,
        le=1,
        description="share of the yes + no votes that carries a vote (always with more yes than no)",
    )


class NewPolicy(PolicyFields):
    model_config = ConfigDict(extra="forbid")


class Policy(PolicyFields):
    source: Literal["community", "default"] = Field(
        description="`default`: the community has not set its own and the service's defaults apply"
    )
    updated_by: uuid.UUID | None
    updated_at: datetime | None


@router.get("", response_model=Policy)
async def get_policy(ctx: Context) -> dict[str, Any]:
    return await cases.get_policy(ctx.uow, ctx.actor, ctx.settings)


@router.put("", response_model=Policy)
async def set_policy(body: NewPolicy, ctx: CommitteeContext) -> dict[str, Any]:
    return await cases.set_policy(ctx.uow, ctx.actor, body.model_dump(), ctx.settings, ctx.now)
