"""Threads, posts, likes, edit history, escalation and the member's notices."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from forum.api.answers import MemberOut, NoticePage, PostHistory, PostOut, ThreadOut, ThreadPage
from forum.api.deps import Context, IdempotencyKey, named, once
from forum.api.types import Body, Label, LabelQuery, SearchQuery, Title
from forum.service_layer import posts, thread_list
from forum.service_layer import threads as cases
from forum.service_layer.common import BeforeCommit
from servicekit.pagination import Cursor, Limit

router = APIRouter(prefix="/api/v1/forum", tags=["threads"])

Board = Literal["grievances", "mutual_help", "deliberation", "announcements"]
Text = Body
Building = Label


class NewThread(BaseModel):
    model_config = ConfigDict(extra="forbid")
    board: Board
    title: Title
    body: Text
    building: Building | None = None
    mentions: list[uuid.UUID] = Field(default_factory=list, max_length=20, description="@mentioned user ids")


class NewPost(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Text
    mentions: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class PostEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Text


class Escalation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    suggested_category: Building | None = None


@router.get("/threads", response_model=ThreadPage)
@named
async def list_threads(
    ctx: Context,
    limit: Limit = 20,
    cursor: Cursor = None,
    board: Board | None = None,
    building: LabelQuery = None,
    q: SearchQuery = None,
) -> dict[str, Any]:
    return await thread_list.list_threads(
        ctx.uow,
        ctx.actor,
        board=board,
        building=building,
        q=q,
        limit=limit,
        cursor=cursor,
        segmenter=ctx.segmenter,
    )


@router.post("/threads", status_code=201, response_model=ThreadOut)
@named
async def create_thread(body: NewThread, ctx: Context, key: IdempotencyKey = None) -> JSONResponse:
    async def run(before_commit: BeforeCommit | None) -> tuple[int, dict[str, Any]]:
        return 201, await cases.create_thread(
            ctx.uow,
            ctx.actor,
            board=body.board,
            title=body.title,
            body=body.body,
            building=body.building,
            mentions=body.mentions,
            segmenter=ctx.segmenter,
            guard=ctx.guard,
            now=ctx.now,
            before_commit=before_commit,
        )

    return await once(ctx, scope="forum.threads.create", key=key, body=body, run=run)


@router.get("/threads/{thread_id}", response_model=ThreadOut)
@named
async def get_thread(thread_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await cases.get_thread(ctx.uow, ctx.actor, thread_id)


@router.post("/threads/{thread_id}/posts", status_code=201, response_model=PostOut)
@named
async def reply(
    thread_id: uuid.UUID, body: NewPost, ctx: Context, key: IdempotencyKey = None
) -> JSONResponse:
    async def run(before_commit: BeforeCommit | None) -> tuple[int, dict[str, Any]]:
        return 201, await posts.reply(
            ctx.uow,
            ctx.actor,
            thread_id,
            body=body.body,
            mentions=body.mentions,
            guard=ctx.guard,
            now=ctx.now,
            before_commit=before_commit,
        )

    return await once(ctx, scope=f"forum.posts.create:{thread_id}", key=key, body=body, run=run)


@router.post("/threads/{thread_id}/escalate", response_model=ThreadOut)
@named
async def escalate_thread(
    thread_id: uuid.UUID, ctx: Context, body: Escalation | None = None
) -> dict[str, Any]:
    return await cases.escalate(
        ctx.uow,
        ctx.actor,
        thread_id,
        suggested_category=body.suggested_category if body else None,
        now=ctx.now,
    )


@router.get("/posts/{post_id}", response_model=PostOut)
@named
async def get_post(post_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await posts.get_post(ctx.uow, ctx.actor, post_id)


@router.patch("/posts/{post_id}", response_model=PostOut)
@named
async def edit_post(post_id: uuid.UUID, body: PostEdit, ctx: Context) -> dict[str, Any]:
    return await posts.edit_post(
        ctx.uow, ctx.actor, post_id, body=body.body, segmenter=ctx.segmenter, now=ctx.now
    )


@router.get("/posts/{post_id}/history", response_model=PostHistory)
@named
async def post_history(post_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await posts.post_history(ctx.uow, ctx.actor, post_id)


@router.put("/posts/{post_id}/like", response_model=PostOut)
@named
async def like(post_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await posts.set_like(ctx.uow, ctx.actor, post_id, liked=True)


@router.delete("/posts/{post_id}/like", response_model=PostOut)
@named
async def unlike(post_id: uuid.UUID, ctx: Context) -> dict[str, Any]:
    return await posts.set_like(ctx.uow, ctx.actor, post_id, liked=False)


@router.get("/me/notices", response_model=NoticePage)
@named
async def notices(ctx: Context, limit: Limit = 20, cursor: Cursor = None) -> dict[str, Any]:
    """Mentions and moderation notices (mentions also reach the gateway as forum.post.mentioned.v1)."""
    return await cases.list_notices(ctx.uow, ctx.actor, limit=limit, cursor=cursor)


@router.get("/me", response_model=MemberOut)
@named
async def me(ctx: Context) -> dict[str, Any]:
    actor = ctx.actor
    return {
        "user_id": actor.id,
        "trust_level": actor.trust,
        "is_mediator": actor.is_mediator,
        "household_id": actor.household_id,
        "household_building": actor.household_building,
        "first_seen_at": actor.first_seen_at,
    }
