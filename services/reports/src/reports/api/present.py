"""Shaping a report row for one actor: anonymity and timeline actors hidden from residents."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping

from reports.adapters.tables import people, report_events
from reports.api.schemas import LocationOut, PersonOut, PhotoOut, RatingOut, ReportOut, TimelineOut
from reports.domain.access import Actor, sees_reporter
from reports.domain.model import OPEN_STATUSES
from reports.service_layer.photos import list_photos
from reports.service_layer.reports import facts
from servicekit.db import UnitOfWork
from servicekit.people import names_of

Names = Mapping[uuid.UUID, str | None]


async def names_for(
    uow: UnitOfWork,
    community_id: uuid.UUID,
    rows: Iterable[RowMapping | dict[str, Any]],
    *more: uuid.UUID | None,
) -> dict[uuid.UUID, str | None]:
    """The names of the reporters and assignees of ``rows`` (and of ``more``): one query."""
    ids: set[uuid.UUID | None] = set(more)
    for row in rows:
        ids |= {row["reporter_id"], row["assignee_id"]}
    return await names_of(uow.session, people, community_id, ids)


def _person(user_id: uuid.UUID | None, names: Names) -> PersonOut | None:
    return None if user_id is None else PersonOut(id=user_id, display_name=names.get(user_id))


_OPEN = {s.value for s in OPEN_STATUSES}


def summary(actor: Actor, row: RowMapping | dict[str, Any], names: Names | None = None) -> ReportOut:
    """The report as ``actor`` sees it; reporter and assignee appear as `{id, display_name}`
    (``names`` from :func:`names_for`), the reporter only where the anonymity rule allows."""
    names = names or {}
    show_reporter = sees_reporter(actor, facts(row), row["anonymous"])
    rating = (
        RatingOut(
            overall=row["rating_overall"],
            speed=row["rating_speed"],
            attitude=row["rating_attitude"],
            comment=row["rating_comment"],
        )
        if row["rated_at"] is not None
        else None
    )
    return ReportOut(
        id=row["id"],
        category=row["category"],
        department=row["department"],
        status=row["status"],
        location=LocationOut(
            building=row["building"],
            unit=row["unit"],
            room=row["room"],
            area=row["area"],
            lat=row["lat"],
            lng=row["lng"],
        ),
        description=row["description"],
        public_area=row["public_area"],
        anonymous=row["anonymous"],
        reporter_id=row["reporter_id"] if show_reporter else None,
        assignee_id=row["assignee_id"],
        reporter=_person(row["reporter_id"], names) if show_reporter else None,
        assignee=_person(row["assignee_id"], names),
        source=row["source"],
        source_thread_id=row["source_thread_id"],
        submitted_at=row["submitted_at"],
        updated_at=row["updated_at"],
        accepted_at=row["accepted_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        due_accept_at=row["due_accept_at"],
        due_resolve_at=row["due_resolve_at"],
        paused_seconds=row["paused_seconds"],
        accept_breached_at=row["accept_breached_at"],
        resolve_breached_at=row["resolve_breached_at"],
        overdue=row["status"] in _OPEN
        and (row["accept_breached_at"] is not None or row["resolve_breached_at"] is not None),
        supervised_at=row["supervised_at"],
        supervision_reason=row["supervision_reason"],
        support_count=row["support_count"],
        reopen_count=row["reopen_count"],
        reject_reason=row["reject_reason"],
        duplicate_of=row["duplicate_of"],
        resolution_note=row["resolution_note"],
        rating=rating,
    )


async def detail(uow: UnitOfWork, actor: Actor, row: RowMapping | dict[str, Any]) -> ReportOut:
    events = list(
        (
            await uow.session.execute(
                select(report_events)
                .where(report_events.c.report_id == row["id"])
                .order_by(report_events.c.id)
            )
        )
        .mappings()
        .all()
    )
    names = await names_for(uow, row["community_id"], [row], *(event["actor_id"] for event in events))
    out = summary(actor, row, names)
    hide = row["reporter_id"] if out.reporter_id is None else None

    def event_actor(event: RowMapping) -> uuid.UUID | None:
        return None if hide is not None and event["actor_id"] == hide else event["actor_id"]

    out.timeline = [
        TimelineOut(
            at=event["at"],
            actor_id=event_actor(event),
            actor=_person(event_actor(event), names),
            action=event["action"],
            from_status=event["from_status"],
            to_status=event["to_status"],
            note=event["note"],
        )
        for event in events
    ]
    out.photos = [
        PhotoOut(
            id=photo["id"],
            kind=photo["kind"],
            content_type=photo["content_type"],
            width=photo["width"],
            height=photo["height"],
            size_bytes=photo["size_bytes"],
            url=f"/api/v1/reports/{row['id']}/photos/{photo['id']}",
            created_at=photo["created_at"],
        )
        for photo in await list_photos(uow, row["id"])
    ]
    return out
