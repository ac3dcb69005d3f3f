"""Request-scoped dependencies: the caller as a Actor (token + local staff projection) with an
open unit of work, and the service clock (replaceable in tests via app.state.clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Request

from reports.config import Settings
from reports.domain.access import Actor
from reports.service_layer.reports import actor_of
from servicekit.app import get_runtime
from servicekit.auth import User
from servicekit.clock import system_clock
from servicekit.db import UnitOfWork
from servicekit.logging import correlation_id_var


def clock(request: Request) -> datetime:
    now: Callable[[], datetime] = getattr(request.app.state, "clock", system_clock)
    return now()


def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


@dataclass
class Ctx:
    uow: UnitOfWork
    actor: Actor
    now: datetime
    settings: Settings


async def context(request: Request, user: User) -> AsyncIterator[Ctx]:
    runtime = get_runtime(request)
    async with runtime.uow(correlation_id=correlation_id_var.get(), actor_id=user.id) as uow:
        actor = await actor_of(
            uow, user_id=user.id, community_id=user.community_id, roles=user.roles, building=user.building
        )
        yield Ctx(uow, actor, clock(request), settings_of(request))


Context = Annotated[Ctx, Depends(context)]
