"""Incoming events -> use cases. Maps each consumed event_type to its handler."""

from __future__ import annotations

from contracts import (
    Envelope,
    EventPayload,
    HouseholdVerifiedV1,
    PostCreatedV1,
    ReportRatedV1,
    ReportStatusChangedV1,
    ReportSubmittedV1,
    RoleGrantedV1,
    RoleRevokedV1,
    UserDeletedV1,
)
from forum.adapters.tables import people
from forum.domain.text import Segmenter
from forum.service_layer import projections
from forum.service_layer.erasure import erase_person
from servicekit.consumer import EventHandler
from servicekit.db import UnitOfWork
from servicekit.people import learning_people


def build_handlers(segmenter: Segmenter, timezone: str) -> dict[str, EventHandler]:
    async def household(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
        await projections.household_verified(uow, envelope, event)

    async def granted(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
        await projections.role_changed(uow, envelope, event, granted=True)

    async def revoked(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
        await projections.role_changed(uow, envelope, event, granted=False)

    async def post(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
        await projections.post_created(uow, envelope, event, segmenter=segmenter, timezone=timezone)

    async def report(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
        await projections.report_event(uow, envelope, event, timezone=timezone)

    async def deleted(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
        assert isinstance(event, UserDeletedV1)
        await erase_person(uow, event.community_id, event.user_id)

    # The gateway's events about people also feed the people projection (servicekit.people).
    return learning_people(
        people,
        {
            HouseholdVerifiedV1.event_type: household,
            RoleGrantedV1.event_type: granted,
            RoleRevokedV1.event_type: revoked,
            PostCreatedV1.event_type: post,
            ReportSubmittedV1.event_type: report,
            ReportStatusChangedV1.event_type: report,
            ReportRatedV1.event_type: report,
            UserDeletedV1.event_type: deleted,
        },
    )
