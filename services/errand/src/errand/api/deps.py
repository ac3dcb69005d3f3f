"""Dependencies: the service context and the declared parties of each order endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from errand.service_layer.access import OrderGuard, Party
from errand.service_layer.context import ErrandContext
from servicekit.app import get_uow
from servicekit.auth import CurrentUser, current_user, require_roles
from servicekit.db import UnitOfWork


def get_context(request: Request) -> ErrandContext:
    ctx: ErrandContext = request.app.state.errand
    return ctx


Ctx = Annotated[ErrandContext, Depends(get_context)]


def parties(*admitted: Party) -> Callable[..., Coroutine[Any, Any, OrderGuard]]:
    async def dependency(user: Annotated[CurrentUser, Depends(current_user)]) -> OrderGuard:
        return OrderGuard(user, frozenset(admitted))

    return dependency


Viewer = Annotated[OrderGuard, Depends(parties(Party.REQUESTER, Party.COURIER, Party.ADMIN, Party.RECIPIENT))]
Requester = Annotated[OrderGuard, Depends(parties(Party.REQUESTER))]
ItsCourier = Annotated[OrderGuard, Depends(parties(Party.COURIER))]

Resident = Annotated[CurrentUser, Depends(require_roles("resident"))]
Courier = Annotated[CurrentUser, Depends(require_roles("courier"))]
Supervisor = Annotated[CurrentUser, Depends(require_roles("committee", "admin"))]


async def open_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's unit of work, open for the use case (which commits; leaving rolls back)."""
    async with get_uow(request) as uow:
        yield uow


UoW = Annotated[UnitOfWork, Depends(open_uow)]
