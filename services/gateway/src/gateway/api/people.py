"""GET /api/v1/community/people: find the people of the caller's community by name."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from contracts.common import Department, Role
from gateway.service_layer import people
from servicekit.app import UoW
from servicekit.auth import User
from servicekit.pagination import Cursor, CursorModel, CursorText, Limit, encode_cursor, read_cursor
from servicekit.text import Text

router = APIRouter(tags=["community"])


class PersonOut(BaseModel):
    id: uuid.UUID
    display_name: str
    building: str | None = None
    roles: list[str] | None = None
    phone_masked: str | None = None


class PeoplePage(BaseModel):
    items: list[PersonOut]
    next_cursor: str | None


class _PeopleCursor(CursorModel):
    name: CursorText
    id: uuid.UUID


@router.get("/api/v1/community/people", response_model=PeoplePage, response_model_exclude_unset=True)
async def search_people(
    user: User,
    uow: UoW,
    q: Annotated[Text | None, Query(min_length=1, max_length=64)] = None,
    role: Role | None = None,
    building: Annotated[Text | None, Query(min_length=1, max_length=64)] = None,
    department: Department | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Staff, managers, the committee, mediators and admins: `{id, display_name, roles,
    building, phone_masked}` with every filter. A resident: `q` only, and `{id, display_name,
    building}` (to @mention a neighbour); any other filter is 403."""
    position = read_cursor(cursor, _PeopleCursor)
    after = None if position is None else (position.name, position.id)
    async with uow:
        items, last = await people.search_people(
            uow,
            user,
            q=q.strip() or None if q else None,
            role=role,
            building=building,
            department=department,
            limit=limit,
            after=after,
        )
    next_cursor = encode_cursor({"name": last[0], "id": str(last[1])}) if last else None
    return {"items": items, "next_cursor": next_cursor}
