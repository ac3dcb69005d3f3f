"""Dependencies of the routers: the request's unit of work, the acting member with the forum's
projections, the clock, and the permission checks."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from forum.adapters.tables import people
from forum.config import Settings
from forum.domain.text import Segmenter
from forum.service_layer.common import Actor, BeforeCommit, PostingGuard, load_actor
from servicekit import idempotency
from servicekit.app import get_uow
from servicekit.auth import User
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.people import attach_people


async def entered_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    async with get_uow(request) as uow:
        yield uow


@dataclass(frozen=True)
class Ctx:
    """Everything a use case is called with."""

    uow: UnitOfWork
    actor: Actor
    now: datetime
    settings: Settings
    segmenter: Segmenter
    guard: PostingGuard


async def context(request: Request, user: User, uow: Annotated[UnitOfWork, Depends(entered_uow)]) -> Ctx:
    now: datetime = request.app.state.clock()
    settings: Settings = request.app.state.settings
    return Ctx(
        uow=uow,
        actor=await load_actor(uow, user, now),
        now=now,
        settings=settings,
        segmenter=request.app.state.segmenter,
        guard=PostingGuard(
            per_minute=settings.posts_per_minute, duplicate_seconds=settings.duplicate_window_seconds
        ),
    )


def _requiring(check: Callable[[Actor], bool]) -> Callable[..., object]:
    async def dependency(ctx: Annotated[Ctx, Depends(context)]) -> Ctx:
        if not check(ctx.actor):
            raise DomainError("forbidden", 403)
        return ctx

    return dependency


Context = Annotated[Ctx, Depends(context)]
# Moderation queue, audit log, hidden posts: mediators (from gateway role events) and admins.
ModeratorContext = Annotated[Ctx, Depends(_requiring(lambda a: a.is_moderator))]
# Mediator notes: mediators only.
MediatorContext = Annotated[Ctx, Depends(_requiring(lambda a: a.is_mediator))]
# Hotspots: property managers, the committee and mediators.
HotspotViewerContext = Annotated[
    Ctx,
    Depends(_requiring(lambda a: a.is_mediator or a.user.has_any("property_manager", "committee", "admin"))),
]
# The deliberation policy: the committee and admins.
CommitteeContext = Annotated[Ctx, Depends(_requiring(lambda a: a.is_committee))]
HotspotActorContext = Annotated[
    Ctx, Depends(_requiring(lambda a: a.user.has_any("property_manager", "committee", "admin")))
]


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="the same key and body return the original response"),
]


async def once(
    ctx: Ctx,
    *,
    scope: str,
    key: str | None,
    body: BaseModel,
    run: Callable[[BeforeCommit | None], Awaitable[tuple[int, dict[str, Any]]]],
) -> JSONResponse:
    """Run a creating use case at most once per Idempotency-Key.

    The key is claimed in the use case's own transaction and `run` hands the use case a hook
    that stores the response right before it commits: the key, the created object and the stored
    response commit together or not at all.
    """
    claim, stored = await idempotency.claim(
        ctx.uow,
        scope=scope,
        user_id=ctx.actor.id,
        key=key,
        request_fingerprint=idempotency.fingerprint(body.model_dump(mode="json")),
    )
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status)
    store: BeforeCommit | None = None
    if claim is not None:
        recording = claim

        async def store(status: int, response: dict[str, Any]) -> None:
            await with_names(ctx, response)  # the replayed answer names people too
            await recording.record(ctx.uow, status, jsonable_encoder(response))

    status, result = await run(store)
    return JSONResponse(jsonable_encoder(await with_names(ctx, result)), status_code=status)


R = TypeVar("R")
P = ParamSpec("P")


async def with_names(ctx: Ctx, view: R) -> R:
    """Every person id in ``view`` gets its `{id, display_name}` beside it (one query)."""
    return await attach_people(ctx.uow.session, people, ctx.actor.community_id, view)


def named(endpoint: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """An endpoint whose answer shows people: `author_id` gets `author: {id, display_name}`,
    and so on (servicekit.people.PERSON_FIELDS), names read in one query per answer. The answer
    leaves as JSON-ready values (ids and times as strings), which the route's response model
    (forum.api.answers) checks and passes on unchanged."""

    @functools.wraps(endpoint)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        result = await endpoint(*args, **kwargs)
        ctx = next((value for value in kwargs.values() if isinstance(value, Ctx)), None)
        if not isinstance(result, dict | list):
            return result
        if ctx is not None:
            result = await with_names(ctx, result)
        encoded: R = jsonable_encoder(result)
        return encoded

    return wrapper
