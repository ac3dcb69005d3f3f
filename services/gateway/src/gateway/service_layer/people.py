"""The people of a community, by name: whom a manager assigns, a mediator calls, a resident
@mentions. Staff, managers, the committee, mediators and admins see roles and a masked phone;
a resident finds neighbours by name only (display name and building, nothing else)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, exists, or_, select

from gateway.adapters.tables import buildings, households, role_grants, users
from gateway.domain.identity import mask_phone
from servicekit.auth import CurrentUser
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError

#: Who sees the whole directory of people (roles, phone masked, every filter).
DIRECTORY_ROLES = ("property_staff", "property_manager", "committee", "mediator", "admin")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_people(
    uow: UnitOfWork,
    actor: CurrentUser,
    *,
    q: str | None,
    role: str | None,
    building: str | None,
    department: str | None,
    limit: int,
    after: tuple[str, uuid.UUID] | None,
) -> tuple[list[dict[str, Any]], tuple[str, uuid.UUID] | None]:
    """A page of the actor's community's people ordered by (display name, id), and the last
    key when another page follows. Two queries however long the page."""
    full = actor.has_any(*DIRECTORY_ROLES)
    if not full and (q is None or role is not None or building is not None or department is not None):
        raise DomainError("forbidden", 403)  # residents: `q` only
    query = (
        select(users.c.id, users.c.display_name, users.c.phone, buildings.c.name.label("building"))
        .select_from(
            users.outerjoin(households, households.c.id == users.c.household_id).outerjoin(
                buildings, buildings.c.id == households.c.building_id
            )
        )
        .where(users.c.community_id == actor.community_id)
    )
    if q:
        query = query.where(users.c.display_name.ilike(_like(q), escape="\\"))
    if building is not None:
        query = query.where(buildings.c.name == building)
    held = [role_grants.c.user_id == users.c.id, role_grants.c.community_id == actor.community_id]
    if role is not None:
        held.append(role_grants.c.role == role)
    if department is not None:
        held.append(role_grants.c.department == department)
    if role is not None or department is not None:
        query = query.where(exists().where(and_(*held)))
    if after is not None:
        name, last_id = after
        query = query.where(
            or_(users.c.display_name > name, and_(users.c.display_name == name, users.c.id > last_id))
        )
    rows = (
        await uow.session.execute(query.order_by(users.c.display_name, users.c.id).limit(limit + 1))
    ).all()
    page = rows[:limit]
    last = (page[-1].display_name, page[-1].id) if len(rows) > limit else None
    if not full:
        return [{"id": r.id, "display_name": r.display_name, "building": r.building} for r in page], last
    roles: dict[uuid.UUID, list[str]] = {r.id: [] for r in page}
    if page:
        grants = await uow.session.execute(
            select(role_grants.c.user_id, role_grants.c.role)
            .where(role_grants.c.community_id == actor.community_id, role_grants.c.user_id.in_(list(roles)))
            .order_by(role_grants.c.role)
        )
        for grant in grants:
            roles[grant.user_id].append(grant.role)
    items = [
        {
            "id": r.id,
            "display_name": r.display_name,
            "roles": roles[r.id],
            "building": r.building,
            "phone_masked": mask_phone(r.phone),
        }
        for r in page
    ]
    return items, last
