"""Flags, the moderation queue, the audit log and the watched-words list."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from forum.api.answers import DecisionOut, FlagOut, LogPage, PostOut, QueuePage, WatchedWord, WatchedWordPage
from forum.api.deps import Context, ModeratorContext, named
from forum.api.types import Label, Short
from forum.domain.moderation import FlagReason, WatchAction
from forum.service_layer import moderation as cases
from servicekit.pagination import Cursor, Limit

router = APIRouter(prefix="/api/v1/forum", tags=["moderation"])

Note = Short


class NewFlag(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: FlagReason
    note: Note | None = None


class Hide(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Label


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject"]
    note: Note | None = None


class Word(BaseModel):
    model_config = ConfigDict(extra="forbid")
    word: Label
    action: WatchAction


@router.post("/posts/{post_id}/flags", status_code=201, response_model=FlagOut)
@named
async def flag(post_id: uuid.UUID, body: NewFlag, ctx: Context) -> dict[str, Any]:
    return await cases.flag_post(
        ctx.uow, ctx.actor, post_id, reason=body.reason.value, note=body.note, now=ctx.now
    )


@router.post("/moderation/posts/{post_id}/hide", response_model=PostOut)
@named
async def hide(post_id: uuid.UUID, body: Hide, ctx: ModeratorContext) -> dict[str, Any]:
    return await cases.hide_post(ctx.uow, ctx.actor, post_id, reason=body.reason)


@router.get("/moderation/queue", response_model=QueuePage)
@named
async def moderation_queue(
    ctx: ModeratorContext,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: Literal["open", "approved", "rejected"] = "open",
) -> dict[str, Any]:
    return await cases.queue(ctx.uow, ctx.actor, status=status, limit=limit, cursor=cursor)


@router.post("/moderation/queue/{item_id}/decision", response_model=DecisionOut)
@named
async def decide(item_id: uuid.UUID, body: Decision, ctx: ModeratorContext) -> dict[str, Any]:
    return await cases.decide(
        ctx.uow, ctx.actor, item_id, decision=body.decision, note=body.note, now=ctx.now
    )


@router.get("/moderation/log", response_model=LogPage)
@named
async def audit_log(ctx: ModeratorContext, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    return await cases.audit_log(ctx.uow, ctx.actor, limit=limit, cursor=cursor)


@router.get("/moderation/watched-words", response_model=WatchedWordPage)
@named
async def list_words(ctx: ModeratorContext) -> dict[str, Any]:
    return await cases.list_words(ctx.uow, ctx.actor)


@router.put("/moderation/watched-words", response_model=WatchedWord)
@named
async def put_word(body: Word, ctx: ModeratorContext) -> dict[str, Any]:
    return await cases.put_word(ctx.uow, ctx.actor, word=body.word, action=body.action.value)


@router.delete("/moderation/watched-words/{word_id}", status_code=204)
@named
async def delete_word(word_id: uuid.UUID, ctx: ModeratorContext) -> Response:
    await cases.delete_word(ctx.uow, ctx.actor, word_id)
    return Response(status_code=204)
