"""What the Open311 GeoReport v2 endpoint reads and checks: the communities it serves, whose
API key a POST carries, the public-area reports a query selects, a token's report. The HTTP
side (parameters, formats, errors) is reports.api.open311."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Row, RowMapping

from reports.adapters.tables import communities, reports
from reports.domain.model import OPEN_STATUSES
from reports.service_layer.open311_keys import community_of_key
from servicekit.db import UnitOfWork

__all__ = [
    "MAX_RESULTS",
    "RequestQuery",
    "community_of_key",
    "jurisdictions",
    "public_requests",
    "token_report",
]

MAX_RESULTS = 1000


async def jurisdictions(uow: UnitOfWork) -> Sequence[Row[Any]]:
    """Every community this deployment serves, by code."""
    return (await uow.session.execute(select(communities).order_by(communities.c.code))).all()


@dataclass(frozen=True)
class RequestQuery:
    """A GET requests query, already checked: `ids` overrides every other filter (the
    specification); `status` is a subset of {"open", "closed"}."""

    ids: list[uuid.UUID] | None = None
    start: datetime | None = None
    end: datetime | None = None
    service_codes: list[str] | None = None
    status: frozenset[str] = frozenset()


async def public_requests(
    uow: UnitOfWork, community_id: uuid.UUID, query: RequestQuery
) -> Sequence[RowMapping]:
    """The community's public-area reports the query selects, newest first, at most MAX_RESULTS."""
    conditions: list[Any] = [reports.c.community_id == community_id, reports.c.public_area.is_(True)]
    if query.ids is not None:
        conditions.append(reports.c.id.in_(query.ids))
    else:
        if query.start is not None:
            conditions.append(reports.c.submitted_at >= query.start)
        if query.end is not None:
            conditions.append(reports.c.submitted_at <= query.end)
        if query.service_codes:
            conditions.append(reports.c.category.in_(query.service_codes))
        open_values = [s.value for s in OPEN_STATUSES]
        if query.status == {"open"}:
            conditions.append(reports.c.status.in_(open_values))
        elif query.status == {"closed"}:
            conditions.append(reports.c.status.notin_(open_values))
    return (
        (
            await uow.session.execute(
                select(reports)
                .where(and_(*conditions))
                .order_by(reports.c.submitted_at.desc())
                .limit(MAX_RESULTS)
            )
        )
        .mappings()
        .all()
    )


async def token_report(uow: UnitOfWork, community_id: uuid.UUID, token: uuid.UUID) -> uuid.UUID | None:
    """The id of the report filed with this Open311 token, if the community has one."""
    row = (
        await uow.session.execute(
            select(reports.c.id).where(
                reports.c.community_id == community_id, reports.c.open311_token == token
            )
        )
    ).first()
    return None if row is None else row.id
