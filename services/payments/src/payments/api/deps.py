"""Request-scoped dependencies: the caller, an open unit of work, the service clock (replaceable in
tests via app.state.clock), the settings and the WeChat Pay client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Request

from payments.adapters.wechatpay import WechatPayClient
from payments.config import Settings
from payments.domain.payments import provider_unconfigured
from servicekit.app import get_runtime
from servicekit.auth import CurrentUser, User
from servicekit.clock import Clock, system_clock
from servicekit.db import UnitOfWork
from servicekit.logging import correlation_id_var


def clock(request: Request) -> datetime:
    now: Clock = getattr(request.app.state, "clock", system_clock)
    return now()


def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def provider_of(request: Request) -> WechatPayClient | None:
    client: WechatPayClient | None = getattr(request.app.state, "wechatpay", None)
    return client


def require_provider(request: Request) -> WechatPayClient:
    client = provider_of(request)
    if client is None:
        raise provider_unconfigured()
    return client


@dataclass
class Ctx:
    uow: UnitOfWork
    user: CurrentUser
    now: datetime
    settings: Settings


async def context(request: Request, user: User) -> AsyncIterator[Ctx]:
    runtime = get_runtime(request)
    async with runtime.uow(correlation_id=correlation_id_var.get(), actor_id=user.id) as uow:
        yield Ctx(uow, user, clock(request), settings_of(request))


Context = Annotated[Ctx, Depends(context)]
Provider = Annotated[WechatPayClient, Depends(require_provider)]
