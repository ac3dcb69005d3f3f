"""Disputes (调解): the state machine of docs/contract.md, one path per request."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from forum.api.answers import DisputeOut, DisputePage, NoteOut, NotePage
from forum.api.deps import Context, IdempotencyKey, MediatorContext, named, once
from forum.api.types import Body, Short
from forum.domain.states import DisputeState
from forum.service_layer import disputes as cases
from forum.service_layer.common import BeforeCommit
from servicekit.pagination import Cursor, Limit

router = APIRouter(prefix="/api/v1/forum/disputes", tags=["disputes"])

Text = Body


class NewDispute(BaseModel):
    model_config = ConfigDict(extra="forbid")
    thread_id: uuid.UUID | None = None
    parties: list[uuid.UUID] = Field(min_length=1, max_length=20)
    summary: Text
    hide_identity: bool = Field(default=False, description="hide the complainant from the other parties")


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Short | None = None


class MediatorProposal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mediator_id: uuid.UUID


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid")
    what: Short
    who: uuid.UUID
    by: AwareDatetime


class Terms(BaseModel):
    model_config = ConfigDict(extra="forbid")
    terms: list[Term] = Field(min_length=1, max_length=30)


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["on_track", "passed", "broken"]
    note: Short | None = None


class Escalation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Literal["committee", "peoples_mediation"] = "committee"


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Text


@router.post("", status_code=201, response_model=DisputeOut)
@named
async def open_dispute(body: NewDispute, ctx: Context, key: IdempotencyKey = None) -> JSONResponse:
    """201 with a new case; 200 when the complaint reopened the parties' case being monitored."""

    async def run(before_commit: BeforeCommit | None) -> tuple[int, dict[str, Any]]:
        dispute, created = await cases.open_dispute(
            ctx.uow,
            ctx.actor,
            thread_id=body.thread_id,
            parties=body.parties,
            summary=body.summary,
            hide_identity=body.hide_identity,
            now=ctx.now,
            before_commit=before_commit,
        )
        return (201 if created else 200), dispute

    return await once(ctx, scope="forum.disputes.create", key=key, body=body, run=run)


@router.get("", response_model=DisputePage)
@named
async def list_disputes(
    ctx: Context, limit: Limit = 20, cursor: Cursor = None, state: DisputeState | None = None
) -> dict[str, Any]:
    return await cases.list_disputes(
        ctx.uow, ctx.actor, state=state.value if state else None, limit=limit, cursor=cursor
    )


@router.get("/{dispute_id}", response_model=DisputeOut)
@named
async def get_dispute(dispute_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await cases.get_dispute(ctx.uow, ctx.actor, dispute_id)


async def _act(ctx: Context, dispute_id: uuid.UUID, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return await cases.act(ctx.uow, ctx.actor, dispute_id, action, payload, ctx.now)


@router.post("/{dispute_id}/triage", response_model=DisputeOut)
@named
async def triage(dispute_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "triage", {})


@router.post("/{dispute_id}/close", response_model=DisputeOut)
@named
async def close_not_dispute(
    dispute_id: uuid.UUID, ctx: Context, body: Reason | None = None
) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "close", {"reason": body.reason if body else None})


@router.post("/{dispute_id}/withdraw", response_model=DisputeOut)
@named
async def withdraw(dispute_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "withdraw", {})


@router.post("/{dispute_id}/mediator", response_model=DisputeOut)
@named
async def propose_mediator(dispute_id: uuid.UUID, body: MediatorProposal, ctx: Context) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "propose_mediator", {"mediator_id": body.mediator_id})


@router.post("/{dispute_id}/mediator/accept", response_model=DisputeOut)
@named
async def accept_mediator(dispute_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "accept_mediator", {})


@router.post("/{dispute_id}/agreement", response_model=DisputeOut)
@named
async def propose_terms(dispute_id: uuid.UUID, body: Terms, ctx: Context) -> dict[str, Any]:
    terms = [{"what": t.what, "who": str(t.who), "by": t.by.isoformat()} for t in body.terms]
    return await _act(ctx, dispute_id, "propose_terms", {"terms": terms})


@router.post("/{dispute_id}/agreement/accept", response_model=DisputeOut)
@named
async def accept_agreement(dispute_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "accept_agreement", {})


@router.post("/{dispute_id}/agreement/decline", response_model=DisputeOut)
@named
async def decline_agreement(
    dispute_id: uuid.UUID, ctx: Context, body: Reason | None = None
) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "decline_agreement", {"reason": body.reason if body else None})


@router.post("/{dispute_id}/monitoring", response_model=DisputeOut)
@named
async def start_monitoring(dispute_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "start_monitoring", {})


@router.post("/{dispute_id}/check-ins", response_model=DisputeOut)
@named
async def check_in(dispute_id: uuid.UUID, body: CheckIn, ctx: Context) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "check_in", {"outcome": body.outcome, "note": body.note})


@router.post("/{dispute_id}/resume", response_model=DisputeOut)
@named
async def resume(dispute_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "resume", {})


@router.post("/{dispute_id}/escalate", response_model=DisputeOut)
@named
async def escalate_dispute(
    dispute_id: uuid.UUID, ctx: Context, body: Escalation | None = None
) -> dict[str, Any]:
    return await _act(ctx, dispute_id, "escalate", {"to": body.to if body else "committee"})


@router.get("/{dispute_id}/notes", response_model=NotePage)
@named
async def list_notes(dispute_id: uuid.UUID, ctx: MediatorContext) -> dict[str, Any]:
    return await cases.list_notes(ctx.uow, ctx.actor, dispute_id)


@router.post("/{dispute_id}/notes", status_code=201, response_model=NoteOut)
@named
async def add_note(dispute_id: uuid.UUID, body: Note, ctx: MediatorContext) -> dict[str, Any]:
    return await cases.add_note(ctx.uow, ctx.actor, dispute_id, body.body, ctx.now)
