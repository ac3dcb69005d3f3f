"""Deliberations (议事): topics, household supports and votes, minutes, acting, rating."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from forum.api.answers import DeliberationOut, DeliberationPage
from forum.api.deps import Context, IdempotencyKey, named, once
from forum.api.types import Body, Label, LabelQuery, Short, Title
from forum.domain.states import DeliberationState
from forum.service_layer import deliberations as cases
from forum.service_layer.common import BeforeCommit
from servicekit.pagination import Cursor, Limit

router = APIRouter(prefix="/api/v1/forum/deliberations", tags=["deliberations"])

Text = Body


class NewDeliberation(BaseModel):
    """The proposer's part only. The support threshold, window, quorum and pass ratio are the
    community's policy (GET/PUT /api/v1/forum/policy): sending them is a 422 like any other
    server-owned field (OWASP API3)."""

    model_config = ConfigDict(extra="forbid")
    title: Title
    body: Text
    building: (
        Annotated[Label, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = None


class Vote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    choice: Literal["yes", "no", "abstain"]


class Screening(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["accept", "reject"]
    reason: Short | None = None


class Minutes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attendees: list[Short] = Field(min_length=1, max_length=500)
    conclusion: Text
    next: Literal["voting", "decided"]
    quorum: int | None = Field(default=None, ge=1, le=100_000, description="households that must vote")


class Milestone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    due_at: AwareDatetime


class Acting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner_id: uuid.UUID
    milestones: list[Milestone] = Field(default_factory=list, max_length=50)


class Progress(BaseModel):
    model_config = ConfigDict(extra="forbid")
    percent: int | None = Field(default=None, ge=0, le=100)
    done_milestone_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    note: Short | None = None


class Rating(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stars: int = Field(ge=1, le=5)


@router.post("", status_code=201, response_model=DeliberationOut)
@named
async def open_deliberation(body: NewDeliberation, ctx: Context, key: IdempotencyKey = None) -> JSONResponse:
    async def run(before_commit: BeforeCommit | None) -> tuple[int, dict[str, Any]]:
        return 201, await cases.create_deliberation(
            ctx.uow,
            ctx.actor,
            title=body.title,
            body=body.body,
            building=body.building,
            settings=ctx.settings,
            now=ctx.now,
            before_commit=before_commit,
        )

    return await once(ctx, scope="forum.deliberations.create", key=key, body=body, run=run)


@router.get("", response_model=DeliberationPage)
@named
async def list_deliberations(
    ctx: Context,
    limit: Limit = 20,
    cursor: Cursor = None,
    state: DeliberationState | None = None,
    building: LabelQuery = None,
) -> dict[str, Any]:
    return await cases.list_deliberations(
        ctx.uow,
        ctx.actor,
        state=state.value if state else None,
        building=building,
        limit=limit,
        cursor=cursor,
    )


@router.get("/{deliberation_id}", response_model=DeliberationOut)
@named
async def get_deliberation(deliberation_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await cases.get_deliberation(ctx.uow, ctx.actor, deliberation_id)


@router.post("/{deliberation_id}/supports", response_model=DeliberationOut)
@named
async def support(deliberation_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await cases.support(ctx.uow, ctx.actor, deliberation_id, ctx.now)


@router.post("/{deliberation_id}/votes", response_model=DeliberationOut)
@named
async def vote(deliberation_id: uuid.UUID, body: Vote, ctx: Context) -> dict[str, Any]:
    return await cases.vote(ctx.uow, ctx.actor, deliberation_id, body.choice, ctx.now)


@router.post("/{deliberation_id}/screening", response_model=DeliberationOut)
@named
async def screen(deliberation_id: uuid.UUID, body: Screening, ctx: Context) -> dict[str, Any]:
    return await cases.act(ctx.uow, ctx.actor, deliberation_id, "screen", body.model_dump(), ctx.now)


@router.post("/{deliberation_id}/minutes", response_model=DeliberationOut)
@named
async def minutes(deliberation_id: uuid.UUID, body: Minutes, ctx: Context) -> dict[str, Any]:
    return await cases.act(ctx.uow, ctx.actor, deliberation_id, "minutes", body.model_dump(), ctx.now)


@router.post("/{deliberation_id}/vote-result", response_model=DeliberationOut)
@named
async def close_vote(deliberation_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await cases.act(ctx.uow, ctx.actor, deliberation_id, "close_vote", {}, ctx.now)


@router.post("/{deliberation_id}/acting", response_model=DeliberationOut)
@named
async def start_acting(deliberation_id: uuid.UUID, body: Acting, ctx: Context) -> dict[str, Any]:
    return await cases.act(ctx.uow, ctx.actor, deliberation_id, "start_acting", body.model_dump(), ctx.now)


@router.post("/{deliberation_id}/progress", response_model=DeliberationOut)
@named
async def progress(deliberation_id: uuid.UUID, body: Progress, ctx: Context) -> dict[str, Any]:
    return await cases.act(ctx.uow, ctx.actor, deliberation_id, "progress", body.model_dump(), ctx.now)


@router.post("/{deliberation_id}/supervision", response_model=DeliberationOut)
@named
async def supervise(deliberation_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await cases.act(ctx.uow, ctx.actor, deliberation_id, "supervise", {}, ctx.now)


@router.post("/{deliberation_id}/evaluation", response_model=DeliberationOut)
@named
async def evaluate(deliberation_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await cases.act(ctx.uow, ctx.actor, deliberation_id, "evaluate", {}, ctx.now)


@router.post("/{deliberation_id}/ratings", response_model=DeliberationOut)
@named
async def rate(deliberation_id: uuid.UUID, body: Rating, ctx: Context) -> dict[str, Any]:
    return await cases.rate(ctx.uow, ctx.actor, deliberation_id, body.stars, ctx.now)


@router.post("/{deliberation_id}/conclusion", response_model=DeliberationOut)
@named
async def conclude(deliberation_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await cases.act(ctx.uow, ctx.actor, deliberation_id, "conclude", {}, ctx.now)
