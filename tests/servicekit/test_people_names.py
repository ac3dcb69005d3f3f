"""The names in a service's people projection (servicekit.people) on the real PostgreSQL: a rename
wins over a registration delivered late, and a view of any shape gets its people named with one
query, hidden ids staying hidden."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

import errand.main
from contracts import Envelope, EventPayload, RoleGrantedV1, UserProfileChangedV1, UserRegisteredV1
from errand.adapters.tables import people
from errand.config import Settings as ErrandSettings
from servicekit.db import UnitOfWorkFactory, create_engine, session_factory
from servicekit.migrations import migrate
from servicekit.people import attach_people, learning_people
from servicekit.testing import isolated_database, isolated_settings

COMMUNITY = uuid.uuid4()
HANDLERS = learning_people(people, {})


@pytest.fixture
async def uows(namespace: str) -> AsyncIterator[tuple[UnitOfWorkFactory, list[str]]]:
    """Units of work on a migrated errand database, and the SQL statements they run."""
    settings = isolated_settings(ErrandSettings, namespace=namespace)
    async with isolated_database(settings):
        await migrate(settings, errand.main.MIGRATIONS)
        engine = create_engine(settings.database_url.get_secret_value())
        statements: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            yield UnitOfWorkFactory(session_factory(engine), producer="errand"), statements
        finally:
            await engine.dispose()


async def _deliver(uows: UnitOfWorkFactory, payload: EventPayload, at: datetime) -> None:
    envelope = Envelope.wrap(payload, producer="gateway")
    envelope = envelope.model_copy(update={"occurred_at": at})
    async with uows() as uow:
        await HANDLERS[payload.event_type](envelope, payload, uow)
        await uow.commit()


async def _name(uows: UnitOfWorkFactory, user_id: uuid.UUID) -> str | None:
    async with uows() as uow:
        name: str | None = await uow.session.scalar(
            select(people.c.display_name).where(people.c.user_id == user_id)
        )
    return name


async def test_a_rename_wins_over_a_registration_delivered_late(
    uows: tuple[UnitOfWorkFactory, list[str]],
) -> None:
    factory, _ = uows
    user, now = uuid.uuid4(), datetime.now(UTC)
    registered = UserRegisteredV1(
        community_id=COMMUNITY, user_id=user, channel="phone", display_name="吕女士"
    )
    renamed = UserProfileChangedV1(community_id=COMMUNITY, user_id=user, display_name="吕阿姨")
    # The rename arrives first (another queue, a retry): it creates the person with the new name.
    await _deliver(factory, renamed, now)
    assert await _name(factory, user) == "吕阿姨"
    await _deliver(factory, registered, now - timedelta(seconds=5))
    assert await _name(factory, user) == "吕阿姨"
    # A role event carries no name and keeps the one known; a second rename replaces it.
    await _deliver(factory, RoleGrantedV1(community_id=COMMUNITY, user_id=user, role="courier"), now)
    assert await _name(factory, user) == "吕阿姨"
    await _deliver(factory, renamed.model_copy(update={"display_name": "吕奶奶"}), now)
    assert await _name(factory, user) == "吕奶奶"
    # An old registration without a name (published before names travelled) names nobody.
    silent = uuid.uuid4()
    await _deliver(factory, UserRegisteredV1(community_id=COMMUNITY, user_id=silent, channel="wechat"), now)
    assert await _name(factory, silent) is None


async def test_a_view_of_any_shape_is_named_in_one_query(uows: tuple[UnitOfWorkFactory, list[str]]) -> None:
    factory, statements = uows
    now = datetime.now(UTC)
    cast = [uuid.uuid4() for _ in range(30)]
    for index, user in enumerate(cast):
        await _deliver(
            factory,
            UserRegisteredV1(
                community_id=COMMUNITY, user_id=user, channel="phone", display_name=f"住户{index}"
            ),
            now,
        )
    stranger = uuid.uuid4()  # of another community: never named here
    await _deliver(
        factory,
        UserRegisteredV1(community_id=uuid.uuid4(), user_id=stranger, channel="phone", display_name="外人"),
        now,
    )
    view: dict[str, Any] = {
        "items": [
            {
                "author_id": str(user),
                "reporter_id": None,  # hidden (an anonymous reporter): stays hidden
                "parties": [{"user_id": cast[(i + 1) % 30], "role": "respondent"}],
                "timeline": [{"actor_id": user}, {"actor_id": stranger}],
            }
            for i, user in enumerate(cast)
        ],
        "next_cursor": None,
    }
    async with factory() as uow:
        statements.clear()
        await attach_people(uow.session, people, COMMUNITY, view)
        assert len([s for s in statements if "people" in s]) == 1
    first = view["items"][0]
    assert first["author"] == {"id": cast[0], "display_name": "住户0"}
    assert first["reporter"] is None
    assert first["parties"][0]["user"] == {"id": cast[1], "display_name": "住户1"}
    assert first["timeline"][0]["actor"]["display_name"] == "住户0"
    assert first["timeline"][1]["actor"] == {"id": stranger, "display_name": None}
