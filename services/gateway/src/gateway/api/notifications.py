"""/api/v1/me/notifications: the inbox, read marks, and the live Server-Sent Events stream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sse_starlette import EventSourceResponse

from gateway.adapters.notify_hub import NotificationHub
from gateway.service_layer import notifications
from servicekit.app import UoW
from servicekit.auth import User
from servicekit.pagination import Cursor, CursorModel, CursorTime, Limit, Page, encode_cursor, read_cursor

router = APIRouter(prefix="/api/v1/me/notifications", tags=["notifications"])

_PING_SECONDS = 15


class NotificationOut(BaseModel):
    id: uuid.UUID
    event_type: str
    event_id: uuid.UUID
    data: dict[str, Any]
    read: bool
    read_at: datetime | None
    created_at: datetime


class _NotificationCursor(CursorModel):
    t: CursorTime
    i: uuid.UUID


def _position(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    position = read_cursor(cursor, _NotificationCursor)
    return None if position is None else (position.t, position.i)


@router.get("", response_model=Page[NotificationOut])
async def inbox(
    user: User, uow: UoW, limit: Limit = 20, cursor: Cursor = None, unread: bool = False
) -> dict[str, Any]:
    """Newest first."""
    async with uow:
        items, last = await notifications.inbox(
            uow, user, limit=limit, after=_position(cursor), unread_only=unread
        )
    next_cursor = encode_cursor({"t": last[0].isoformat(), "i": str(last[1])}) if last else None
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "one `notification` event each"}},
)
async def stream(user: User, request: Request) -> EventSourceResponse:
    """Server-Sent Events: a `ready` event once listening, then one `notification` event per new
    notification (data: the notification exactly as the inbox lists it; only what the inbox of
    this user in this community holds)."""
    hub: NotificationHub = request.app.state.notification_hub

    async def events() -> AsyncIterator[dict[str, str]]:
        with hub.listen(user.id, user.community_id) as queue:
            yield {"event": "ready", "data": "{}"}
            while True:
                item = NotificationOut.model_validate(await queue.get())
                yield {"id": str(item.id), "event": "notification", "data": item.model_dump_json()}

    return EventSourceResponse(events(), ping=_PING_SECONDS)


@router.post("/{notification_id}/read", response_model=NotificationOut)
async def mark_read(notification_id: uuid.UUID, user: User, uow: UoW) -> dict[str, Any]:
    async with uow:
        return await notifications.mark_read(uow, user, notification_id)
