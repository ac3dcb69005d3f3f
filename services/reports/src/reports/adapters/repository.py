"""SQL the use cases share: categories (seeded on first use), staff, report rows, timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from reports.adapters.tables import categories, communities, report_events, report_supporters, reports, staff
from reports.domain.categories import SEEDS
from reports.domain.model import WORKING_STATUSES


async def ensure_categories(session: AsyncSession, community_id: uuid.UUID) -> None:
    """A community's first request seeds its categories; later edits by managers are kept."""
    present = await session.execute(
        select(categories.c.code).where(categories.c.community_id == community_id).limit(1)
    )
    if present.first() is not None:
        return
    await session.execute(
        pg_insert(categories)
        .values([{"community_id": community_id, **seed.__dict__} for seed in SEEDS])
        .on_conflict_do_nothing()
    )


async def communities_named(session: AsyncSession, code: str | None) -> list[uuid.UUID]:
    """The community of ``code``; without a code, up to two communities (one means the only one)."""
    query = select(communities.c.id)
    query = query.where(communities.c.code == code) if code is not None else query.limit(2)
    return list((await session.scalars(query)).all())


async def list_categories(session: AsyncSession, community_id: uuid.UUID) -> Sequence[RowMapping]:
    await ensure_categories(session, community_id)
    result = await session.execute(
        select(categories).where(categories.c.community_id == community_id).order_by(categories.c.code)
    )
    return result.mappings().all()


async def get_category(session: AsyncSession, community_id: uuid.UUID, code: str) -> RowMapping | None:
    query = select(categories).where(categories.c.community_id == community_id, categories.c.code == code)
    row: RowMapping | None = (await session.execute(query)).mappings().first()
    if row is None:
        # Perhaps the community's very first request: seed, then look again (one query otherwise).
        await ensure_categories(session, community_id)
        row = (await session.execute(query)).mappings().first()
    return row


async def staff_departments(
    session: AsyncSession, community_id: uuid.UUID, user_id: uuid.UUID
) -> dict[str, str]:
    result = await session.execute(
        select(staff.c.role, staff.c.department).where(
            staff.c.community_id == community_id, staff.c.user_id == user_id
        )
    )
    return {row.role: row.department for row in result}


async def lock_staff(session: AsyncSession, community_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, str]:
    """The staff member's departments, locking their rows: two assignments to one person
    serialise here, so the open-job cap cannot be overrun by a race."""
    result = await session.execute(
        select(staff.c.role, staff.c.department)
        .where(staff.c.community_id == community_id, staff.c.user_id == user_id)
        .with_for_update()
    )
    return {row.role: row.department for row in result}


async def open_jobs(session: AsyncSession, community_id: uuid.UUID, user_id: uuid.UUID) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(reports)
        .where(
            reports.c.community_id == community_id,
            reports.c.assignee_id == user_id,
            reports.c.status.in_([s.value for s in WORKING_STATUSES]),
        )
    )
    return int(result.scalar_one())


async def load_report(
    session: AsyncSession, community_id: uuid.UUID, report_id: uuid.UUID, *, for_update: bool = False
) -> RowMapping | None:
    query = select(reports).where(reports.c.id == report_id, reports.c.community_id == community_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def add_timeline(
    session: AsyncSession,
    report: RowMapping | dict[str, Any],
    *,
    at: datetime,
    actor_id: uuid.UUID | None,
    action: str,
    from_status: str | None,
    to_status: str | None,
    note: str | None = None,
) -> None:
    await session.execute(
        insert(report_events).values(
            community_id=report["community_id"],
            report_id=report["id"],
            at=at,
            actor_id=actor_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            note=note,
        )
    )


async def supporter_ids(session: AsyncSession, report_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        select(report_supporters.c.user_id)
        .where(report_supporters.c.report_id == report_id)
        .order_by(report_supporters.c.created_at)
    )
    return list(result.scalars())


async def update_report(session: AsyncSession, report_id: uuid.UUID, values: dict[str, Any]) -> RowMapping:
    """Apply ``values`` to the report and return the row as it now is."""
    result = await session.execute(
        update(reports).where(reports.c.id == report_id).values(**values).returning(reports)
    )
    row: RowMapping = result.mappings().one()
    return row
