"""Who belongs to which community: each service's `people` projection, learned from the
gateway's events, and the check that every user id a request names belongs to the caller's
community.

A service that takes user ids in request bodies (dispute parties, @mentions, a deliberation's
owner, a staff member to assign) keeps a `people` table (:func:`people_table`, created by one
Alembic migration of its own) and wraps its event handlers with :func:`learning_people`, so the
gateway's events that name a user of a community (sign-up, a role granted, a household verified)
record that person. Before acting, it calls :func:`require_members`: an id that is not known as
a person of the caller's community, be it another community's or an unknown one, answers
``422 user_not_in_community`` (the same answer for both, so it reveals nothing about other
communities). A service may count other community-scoped tables of its own as proof too (e.g.
users seen with a verified token of the community).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, func, select, union, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import (
    Envelope,
    EventPayload,
    HouseholdVerifiedV1,
    RoleGrantedV1,
    UserProfileChangedV1,
    UserRegisteredV1,
)
from servicekit.consumer import EventHandler
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.i18n import register_messages

__all__ = [
    "DELETED_NAME",
    "PERSON_EVENTS",
    "PERSON_FIELDS",
    "PersonRef",
    "attach_people",
    "forget_person",
    "learn_person",
    "learning_people",
    "names_of",
    "people_table",
    "person_ref",
    "require_members",
]

#: The gateway's events that name a user of the payload's community.
PERSON_EVENTS = (
    UserRegisteredV1.event_type,
    UserProfileChangedV1.event_type,
    RoleGrantedV1.event_type,
    HouseholdVerifiedV1.event_type,
)

#: How a person appears in every view: ``{"id", "display_name"}`` (docs/contract.md).
PersonRef = dict[str, object]

V = TypeVar("V")

#: The id fields of views that name a person, and the key its ``{id, display_name}`` goes under.
PERSON_FIELDS: Mapping[str, str] = {
    "author_id": "author",
    "requester_id": "requester",
    "courier_id": "courier",
    "reporter_id": "reporter",
    "assignee_id": "assignee",
    "actor_id": "actor",
    "mediator_id": "mediator",
    "complainant_id": "complainant",
    "proposer_id": "proposer",
    "owner_id": "owner",
    "user_id": "user",
}


def people_table(metadata: MetaData) -> Table:
    """The projection: one row per user of a community this service has heard of.
    `display_name` is filled when an event carries one (nullable: most do not)."""
    return Table(
        "people",
        metadata,
        Column("community_id", Uuid, primary_key=True),
        Column("user_id", Uuid, primary_key=True),
        Column("display_name", String(64)),
        Column("known_since", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def learn_person(uow: UnitOfWork, people: Table, envelope: Envelope, payload: EventPayload) -> None:
    """Record the person a gateway event names (idempotent: a redelivery or a second event about
    the same person changes nothing but a display name the event now carries)."""
    user_id = getattr(payload, "user_id", None)
    if not isinstance(user_id, uuid.UUID):
        return
    display_name = getattr(payload, "display_name", None)
    statement = pg_insert(people).values(
        community_id=payload.community_id,
        user_id=user_id,
        display_name=display_name,
        known_since=envelope.occurred_at,
    )
    if display_name is None:
        await uow.session.execute(statement.on_conflict_do_nothing())
        return
    # A profile change always sets the name; a sign-up only fills a name not known yet, so a
    # registration redelivered after a rename does not bring the old name back.
    renamed = isinstance(payload, UserProfileChangedV1)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[people.c.community_id, people.c.user_id],
            set_={"display_name": statement.excluded.display_name},
            where=None if renamed else people.c.display_name.is_(None),
        )
    )


def learning_people(people: Table, handlers: Mapping[str, EventHandler]) -> dict[str, EventHandler]:
    """``handlers`` plus the people projection: each of :data:`PERSON_EVENTS` records its person,
    then runs the service's own handler for it, if any, in the same unit of work."""
    combined = dict(handlers)
    for event_type in PERSON_EVENTS:
        own = handlers.get(event_type)

        async def handler(
            envelope: Envelope, event: EventPayload, uow: UnitOfWork, own: EventHandler | None = own
        ) -> None:
            await learn_person(uow, people, envelope, event)
            if own is not None:
                await own(envelope, event, uow)

        combined[event_type] = handler
    return combined


async def names_of(
    session: AsyncSession,
    people: Table,
    community_id: uuid.UUID,
    user_ids: Iterable[uuid.UUID | None],
) -> dict[uuid.UUID, str | None]:
    """The display names of ``user_ids`` in ``community_id``, in one query (a list view calls it
    once for all the people its rows show). An id the projection does not know maps to None."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(people.c.user_id, people.c.display_name).where(
            people.c.community_id == community_id, people.c.user_id.in_(wanted)
        )
    )
    names: dict[uuid.UUID, str | None] = dict.fromkeys(wanted)
    names.update({row.user_id: row.display_name for row in rows})
    return names


def person_ref(user_id: uuid.UUID | None, names: Mapping[uuid.UUID, str | None]) -> PersonRef | None:
    """``{id, display_name}`` for a view, or None when there is nobody (or nobody to show)."""
    if user_id is None:
        return None
    return {"id": user_id, "display_name": names.get(user_id)}


def _as_uuid(value: object) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            return None
    return None


def _walk(view: object, fields: Mapping[str, str]) -> Iterator[tuple[dict[str, Any], str, uuid.UUID | None]]:
    """Every (dict, person key, id) in ``view``, however deeply nested in dicts and lists."""
    if isinstance(view, dict):
        for key, value in list(view.items()):
            if key in fields:
                yield view, fields[key], _as_uuid(value)
            elif isinstance(value, dict | list):
                yield from _walk(value, fields)
    elif isinstance(view, list):
        for item in view:
            yield from _walk(item, fields)


async def attach_people(
    session: AsyncSession,
    people: Table,
    community_id: uuid.UUID,
    view: V,
    fields: Mapping[str, str] = PERSON_FIELDS,
) -> V:
    """Put `{id, display_name}` beside every person id of ``view`` (a dict or list of dicts,
    nested at any depth: ``author_id`` gets ``author``, ...), with one query for all of them.
    A hidden id (None, as for an anonymous reporter) gets None: the name follows the id's rule."""
    found = list(_walk(view, fields))
    names = await names_of(session, people, community_id, (user_id for _, _, user_id in found))
    for holder, key, user_id in found:
        holder[key] = person_ref(user_id, names)
    return view


async def require_members(
    session: AsyncSession,
    community_id: uuid.UUID,
    user_ids: Iterable[uuid.UUID],
    people: Table,
    *also: Table,
) -> None:
    """Raise ``422 user_not_in_community`` unless every id in ``user_ids`` is a person of
    ``community_id`` in ``people`` or in one of the ``also`` tables (each with `community_id`
    and `user_id` columns). One query."""
    wanted = set(user_ids)
    if not wanted:
        return
    known = union(
        *(
            select(table.c.user_id).where(table.c.community_id == community_id, table.c.user_id.in_(wanted))
            for table in (people, *also)
        )
    )
    found = set((await session.execute(known)).scalars().all())
    strangers = sorted(str(user_id) for user_id in wanted - found)
    if strangers:
        raise DomainError("user_not_in_community", 422, count=len(strangers)).showing(user_ids=strangers)


register_messages(
    {
        "user_not_in_community": {
            "zh-CN": ("用户不属于本社区", "有 {count} 个用户不是本社区的成员。"),
            "en": (
                "User not in this community",
                "{count} of the users named are not in this community.",
            ),
            "ko": ("이 단지의 사용자가 아님", "지정한 사용자 중 {count}명은 이 단지의 구성원이 아닙니다."),
        }
    }
)


#: What a deleted account's person is shown as (docs/contract.md: account deletion).
DELETED_NAME = "已注销用户"


async def forget_person(uow: UnitOfWork, people: Table, community_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """`gateway.user.deleted.v1`: the person's row keeps only the id, named as deleted, so that
    what they wrote is shown without them."""
    await uow.session.execute(
        update(people)
        .where(people.c.community_id == community_id, people.c.user_id == user_id)
        .values(display_name=DELETED_NAME)
    )
