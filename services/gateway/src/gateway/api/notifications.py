"""/api/v1/me/notifications: the inbox, read marks, stream tickets and the live Server-Sent Events
stream (which replays what a reconnecting client missed). Inbox and stream show one shape."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel
from sse_starlette import EventSourceResponse

from gateway.adapters.notify_hub import NotificationHub, TicketStoreUnavailable
from gateway.service_layer import notifications
from servicekit.app import UoW
from servicekit.auth import CurrentUser, User, optional_user
from servicekit.errors import ProblemError
from servicekit.pagination import Cursor, CursorModel, CursorTime, Limit, Page, encode_cursor, read_cursor

router = APIRouter(prefix="/api/v1/me/notifications", tags=["notifications"])

_PING_SECONDS = 15


class LinkOut(BaseModel):
    """The object a notification is about: `errand_order`, `report`, `forum_thread`, `dispute`,
    `deliberation`, `hotspot`, `household_claim` or `courier_application`, and its id."""

    type: str
    id: uuid.UUID


class NotificationOut(BaseModel):
    id: uuid.UUID
    event_type: str
    title: str
    body: str
    link: LinkOut | None
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


class TicketOut(BaseModel):
    ticket: str
    expires_in: int


@router.get("", response_model=Page[NotificationOut])
async def inbox(
    user: User, uow: UoW, request: Request, limit: Limit = 20, cursor: Cursor = None, unread: bool = False
) -> dict[str, Any]:
    """Newest first; title and body in the reader's language (profile, else Accept-Language)."""
    async with uow:
        items, last = await notifications.inbox(
            uow, user, limit=limit, after=_position(cursor), unread_only=unread
        )
        locale = await notifications.reader_locale(uow, user.id, request.headers.get("accept-language"))
    next_cursor = encode_cursor({"t": last[0].isoformat(), "i": str(last[1])}) if last else None
    return {"items": [notifications.present(item, locale) for item in items], "next_cursor": next_cursor}


@router.post("/stream-ticket", response_model=TicketOut)
async def stream_ticket(user: User, request: Request) -> dict[str, Any]:
    """A single-use ticket, valid for (at most) 60 s, so a browser's `EventSource` (which cannot send an
    Authorization header) opens `/stream?ticket=`."""
    hub: NotificationHub = request.app.state.notification_hub
    try:
        ticket = await hub.issue_ticket(user.id, user.community_id)
    except TicketStoreUnavailable as exc:
        raise ProblemError("stream_unavailable", 503) from exc
    return {"ticket": ticket, "expires_in": hub.ticket_seconds}


async def _stream_owner(
    request: Request, ticket: str | None, bearer: CurrentUser | None
) -> tuple[uuid.UUID, uuid.UUID]:
    if bearer is not None:
        return bearer.id, bearer.community_id
    if ticket is None:
        raise ProblemError("unauthorized", 401, headers={"WWW-Authenticate": 'Bearer realm="weilinli"'})
    hub: NotificationHub = request.app.state.notification_hub
    try:
        owner = await hub.redeem_ticket(ticket)
    except TicketStoreUnavailable as exc:
        raise ProblemError("stream_unavailable", 503) from exc
    if owner is None:
        raise ProblemError("stream_ticket_invalid", 401)
    return owner


def _event_id(value: str | None) -> uuid.UUID | None:
    try:
        return None if not value else uuid.UUID(value.strip())
    except ValueError:
        return None


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "one `notification` event each"}},
)
async def stream(
    request: Request,
    uow: UoW,
    bearer: Annotated[CurrentUser | None, Depends(optional_user)],
    ticket: str | None = None,
    last_event_id: Annotated[str | None, Header()] = None,
    last_event_id_query: Annotated[
        str | None,
        Query(
            alias="last_event_id",
            description="The `Last-Event-ID` for a browser opening a new `EventSource` (which cannot "
            "send the header) after its ticket was used; the header wins when both are sent",
        ),
    ] = None,
) -> EventSourceResponse:
    """Server-Sent Events, opened with the bearer token or a `?ticket=` from `/stream-ticket`
    (used or expired: 401). A `ready` event once listening, then one `notification` event per
    notification, its SSE id the notification's id and its data the notification exactly as the
    inbox lists it. With `Last-Event-ID`, first what the inbox received after that notification
    (oldest first), then live, without a gap or a repeat: the stream listens before it reads the
    inbox, and skips live pushes it has just replayed."""
    hub: NotificationHub = request.app.state.notification_hub
    user_id, community_id = await _stream_owner(request, ticket, bearer)
    accept_language = request.headers.get("accept-language")
    last_id = _event_id(last_event_id or last_event_id_query)

    def frame(item: dict[str, Any], locale: str) -> dict[str, str]:
        out = NotificationOut.model_validate(notifications.present(item, locale))
        return {"id": str(out.id), "event": "notification", "data": out.model_dump_json()}

    async def events() -> AsyncIterator[dict[str, str]]:
        with hub.listen(user_id, community_id) as queue:
            async with uow:
                locale = await notifications.reader_locale(uow, user_id, accept_language)
                missed = []
                if last_id is not None:
                    missed = await notifications.since(uow, user_id, community_id, last_id)
            yield {"event": "ready", "data": "{}"}
            replayed = {str(item["id"]) for item in missed}
            for item in missed:
                yield frame(item, locale)
            while True:
                pushed = await queue.get()
                if str(pushed["id"]) in replayed:
                    continue
                yield frame(pushed, locale)

    return EventSourceResponse(events(), ping=_PING_SECONDS)


@router.post("/{notification_id}/read", response_model=NotificationOut)
async def mark_read(notification_id: uuid.UUID, user: User, uow: UoW, request: Request) -> dict[str, Any]:
    async with uow:
        item = await notifications.mark_read(uow, user, notification_id)
        locale = await notifications.reader_locale(uow, user.id, request.headers.get("accept-language"))
    return notifications.present(item, locale)
