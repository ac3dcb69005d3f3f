"""Report categories: a community's first request seeds them; managers edit their SLAs and modes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, select, update

from reports.adapters import repository as repo
from reports.adapters.tables import categories
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound


async def community_named(uow: UnitOfWork, code: str | None) -> uuid.UUID:
    """The community a caller without a token names by its code (which may be left out while the
    deployment has one community)."""
    found = await repo.communities_named(uow.session, code)
    if not found:
        raise NotFound()
    if len(found) > 1:
        raise DomainError("community_query_required", 422)
    return found[0]


async def list_categories(uow: UnitOfWork, community_id: uuid.UUID) -> Sequence[RowMapping]:
    """The community's categories, seeded (and committed) on its first request."""
    rows = await repo.list_categories(uow.session, community_id)
    await uow.commit()
    return rows


async def get_category(uow: UnitOfWork, community_id: uuid.UUID, code: str) -> RowMapping | None:
    """One category (None when the community has no such code), seeded on a first request."""
    row = await repo.get_category(uow.session, community_id, code)
    await uow.commit()
    return row


async def edit_category(
    uow: UnitOfWork, community_id: uuid.UUID, code: str, changes: dict[str, Any], *, now: datetime
) -> RowMapping:
    await repo.ensure_categories(uow.session, community_id)
    where = and_(categories.c.community_id == community_id, categories.c.code == code)
    current = (
        (await uow.session.execute(select(categories).where(where).with_for_update())).mappings().first()
    )
    if current is None:
        raise NotFound()
    merged = {**current, **changes}
    if merged["sla_accept_hours"] > merged["sla_resolve_hours"]:
        raise DomainError("validation_failed", 422)
    row: RowMapping = (
        (
            await uow.session.execute(
                update(categories).where(where).values(**changes, updated_at=now).returning(categories)
            )
        )
        .mappings()
        .one()
    )
    await uow.commit()
    return row
