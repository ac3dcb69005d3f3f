"""Incoming events -> use cases. Maps each consumed event_type to its handler.

- `gateway.role.granted/revoked.v1` keep the local staff projection (who works in which
  department) for the staff roles;
- `gateway.user.registered.v1`, `gateway.role.granted.v1` and `gateway.household.verified.v1`
  also feed the `people` projection (servicekit.people: who belongs to which community);
- `gateway.community.created.v1` keeps the `communities` projection (code and name by id);
- `forum.thread.escalated.v1` files a report linked to the thread. The inbox makes a redelivery
  a no-op; the unique (community_id, source_thread_id) index makes even a second escalation event
  of the same thread (a new event_id) create nothing.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert

from contracts import (
    CommunityCreatedV1,
    Envelope,
    EventPayload,
    RoleGrantedV1,
    RoleRevokedV1,
    ThreadEscalatedV1,
    UserDeletedV1,
)
from reports.adapters.tables import communities, people, staff
from reports.domain.access import STAFF_ROLES
from reports.service_layer.erasure import erase_person
from reports.service_layer.reports import submit_from_thread
from servicekit.consumer import EventHandler
from servicekit.db import UnitOfWork
from servicekit.people import learning_people


async def role_granted(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, RoleGrantedV1)
    if event.role not in STAFF_ROLES:
        return
    department = event.department or "property"  # docs/contract.md: the department defaults to property
    await uow.session.execute(
        pg_insert(staff)
        .values(
            community_id=event.community_id,
            user_id=event.user_id,
            role=event.role,
            department=department,
            granted_at=envelope.occurred_at,
        )
        .on_conflict_do_update(
            index_elements=["community_id", "user_id", "role"],
            set_={"department": department, "granted_at": envelope.occurred_at},
        )
    )


async def community_created(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, CommunityCreatedV1)
    await uow.session.execute(
        pg_insert(communities)
        .values(id=event.community_id, code=event.code, name=event.name)
        .on_conflict_do_update(index_elements=["id"], set_={"code": event.code, "name": event.name})
    )


async def role_revoked(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, RoleRevokedV1)
    if event.role not in STAFF_ROLES:
        return
    await uow.session.execute(
        delete(staff).where(
            staff.c.community_id == event.community_id,
            staff.c.user_id == event.user_id,
            staff.c.role == event.role,
        )
    )


async def thread_escalated(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, ThreadEscalatedV1)
    await submit_from_thread(
        uow,
        community_id=event.community_id,
        thread_id=event.thread_id,
        author_id=event.author_id,
        title=event.title,
        body=event.body,
        building=event.building,
        suggested_category=event.suggested_category,
        now=envelope.occurred_at,
    )


async def user_deleted(envelope: Envelope, event: EventPayload, uow: UnitOfWork) -> None:
    assert isinstance(event, UserDeletedV1)
    await erase_person(uow, event.community_id, event.user_id)


handlers: dict[str, EventHandler] = learning_people(
    people,
    {
        CommunityCreatedV1.event_type: community_created,
        RoleGrantedV1.event_type: role_granted,
        RoleRevokedV1.event_type: role_revoked,
        ThreadEscalatedV1.event_type: thread_escalated,
        UserDeletedV1.event_type: user_deleted,
    },
)
