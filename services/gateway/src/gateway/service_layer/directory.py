"""The directory in one step: importing an office's sheet (all rows or none) and exporting it.

An import creates the buildings and households it names, updates the ones whose floor, lift or
flags changed, and leaves households the sheet does not mention alone. It is one transaction
with a handful of bulk statements whatever the number of rows; imports into one community are
serialised by an advisory lock so two at once cannot trip over each other's new rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import IntegrityError

from gateway.adapters.tables import buildings, households
from gateway.domain.directory_import import EXPORT_HEADER, FLAGS, HouseholdRow, export_row
from servicekit.auth import CurrentUser
from servicekit.csv_export import csv_chunks
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError

_CHUNK = 5_000  # rows per multi-row statement (asyncpg allows 32,767 parameters)

# The sheet's households travel as seven arrays (seven parameters, whatever the row count) and
# PostgreSQL compares and writes them in one statement each.
_INCOMING = """
    SELECT * FROM unnest(
        CAST(:building_ids AS uuid[]), CAST(:units AS text[]), CAST(:rooms AS text[]),
        CAST(:floors AS smallint[]), CAST(:elderly_alone AS boolean[]), CAST(:disability AS boolean[]),
        CAST(:low_income AS boolean[])
    ) AS incoming(building_id, unit, room, floor, elderly_alone, disability, low_income)
"""
# Both statements are fixed text: only _INCOMING is spliced in, never input.
_COUNT_SQL = """
WITH incoming AS ({incoming}),
compared AS (
    SELECT h.id IS NULL AS new,
           h.id IS NOT NULL AND (
               (h.floor, h.elderly_alone, h.disability, h.low_income)
                   IS DISTINCT FROM (i.floor, i.elderly_alone, i.disability, i.low_income)
               OR i.building_id = ANY(CAST(:lift_changed AS uuid[]))
           ) AS changed
    FROM incoming i
    -- building ids are the community's own: the address key alone finds the household
    LEFT JOIN households h ON h.building_id = i.building_id AND h.unit = i.unit AND h.room = i.room
)
SELECT count(*) FILTER (WHERE new) AS created,
       count(*) FILTER (WHERE changed) AS updated,
       count(*) FILTER (WHERE NOT new AND NOT changed) AS unchanged
FROM compared
""".replace("{incoming}", _INCOMING)
_UPSERT_SQL = """
INSERT INTO households
    (id, community_id, building_id, unit, room, floor, elderly_alone, disability, low_income)
SELECT gen_random_uuid(), :community_id, i.* FROM ({incoming}) AS i
ON CONFLICT ON CONSTRAINT households_address_unique DO UPDATE
SET floor = EXCLUDED.floor, elderly_alone = EXCLUDED.elderly_alone,
    disability = EXCLUDED.disability, low_income = EXCLUDED.low_income
WHERE (households.floor, households.elderly_alone, households.disability, households.low_income)
      IS DISTINCT FROM (EXCLUDED.floor, EXCLUDED.elderly_alone, EXCLUDED.disability, EXCLUDED.low_income)
""".replace("{incoming}", _INCOMING)


@dataclass
class ImportOutcome:
    created: int
    updated: int
    unchanged: int


async def import_directory(
    uow: UnitOfWork, actor: CurrentUser, rows: Sequence[HouseholdRow], *, dry_run: bool
) -> ImportOutcome:
    community_id = actor.community_id
    session = uow.session
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext("directory-import:" + str(community_id))))
    )
    known_buildings = {
        row.name: (row.id, row.has_lift)
        for row in await session.execute(
            select(buildings.c.id, buildings.c.name, buildings.c.has_lift).where(
                buildings.c.community_id == community_id
            )
        )
    }
    # The lift belongs to the building: the sheet's word for it (blank everywhere: not known).
    lifts: dict[str, bool | None] = {}
    for household in rows:
        if lifts.get(household.building) is None:
            lifts[household.building] = household.has_lift
    new_buildings: list[dict[str, Any]] = []
    changed_lifts: list[dict[str, Any]] = []
    building_ids: dict[str, uuid.UUID] = {}
    for name, has_lift in lifts.items():
        known = known_buildings.get(name)
        if known is None:
            building_id = uuid.uuid4()
            new_buildings.append(
                {"id": building_id, "community_id": community_id, "name": name, "has_lift": has_lift}
            )
        else:
            building_id = known[0]
            if known[1] != has_lift:
                changed_lifts.append({"_id": building_id, "has_lift": has_lift})
        building_ids[name] = building_id

    columns = {
        "building_ids": [building_ids[household.building] for household in rows],
        "units": [household.unit for household in rows],
        "rooms": [household.room for household in rows],
        "floors": [household.floor for household in rows],
        "elderly_alone": [household.elderly_alone for household in rows],
        "disability": [household.disability for household in rows],
        "low_income": [household.low_income for household in rows],
    }
    counts = (
        await session.execute(
            text(_COUNT_SQL),
            {**columns, "lift_changed": [row["_id"] for row in changed_lifts]},
        )
    ).one()
    outcome = ImportOutcome(created=counts.created, updated=counts.updated, unchanged=counts.unchanged)
    if dry_run:
        return outcome  # the unit of work rolls back: nothing was written anyway
    try:
        async with session.begin_nested():
            for chunk in _chunks(new_buildings):
                await session.execute(buildings.insert(), chunk)
            if changed_lifts:
                await session.execute(
                    update(buildings)
                    .where(buildings.c.id == bindparam("_id"))
                    .values(has_lift=bindparam("has_lift")),
                    changed_lifts,
                    execution_options={"synchronize_session": False},
                )
            if outcome.created or outcome.updated:
                await session.execute(text(_UPSERT_SQL), {**columns, "community_id": community_id})
    except IntegrityError as exc:
        # A building of the same name created through the API while the sheet was applied.
        raise DomainError("directory_conflict", 409) from exc
    await uow.commit()
    return outcome


def _chunks(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [items[start : start + _CHUNK] for start in range(0, len(items), _CHUNK)]


async def export_directory(uow: UnitOfWork, actor: CurrentUser) -> AsyncIterator[bytes]:
    """The directory as CSV, streamed: its own unit of work, opened when the response starts."""

    async def rows() -> AsyncIterator[list[object]]:
        async with uow:
            result = await uow.session.stream(
                select(
                    buildings.c.name,
                    buildings.c.has_lift,
                    households.c.unit,
                    households.c.floor,
                    households.c.room,
                    *(households.c[flag] for flag in FLAGS),
                )
                .join_from(households, buildings, buildings.c.id == households.c.building_id)
                .where(households.c.community_id == actor.community_id)
                .order_by(buildings.c.name, households.c.unit, households.c.room)
                .execution_options(yield_per=1000)
            )
            async for row in result:
                yield export_row(
                    building=row.name,
                    unit=row.unit,
                    floor=row.floor,
                    room=row.room,
                    has_lift=row.has_lift,
                    elderly_alone=row.elderly_alone,
                    disability=row.disability,
                    low_income=row.low_income,
                )

    return csv_chunks(EXPORT_HEADER, rows())
