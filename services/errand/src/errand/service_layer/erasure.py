"""Account deletion (`gateway.actor.deleted.v1`): erase the person, keep the money.

Orders stay (price, tip, status and times are accounting records) under the requester's id, which
names nobody once the gateway has anonymised the account; what identified or located the person
goes: contact names and phones, units, rooms, address lines, the note, parcel codes and bill
accounts. Only each place's building and coordinates remain (the building is what the public
statistics use). Quotes are dropped, the household link forgotten, a courier profile deactivated.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select, update

from errand.adapters.tables import couriers, orders, quotes, resident_households
from servicekit.db import UnitOfWork

_PLACE_KEPT = ("building", "lat", "lng")
_DETAILS_ERASED = ("parcel_code", "bill_account")


def _scrub_place(place: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if place is None else {key: place[key] for key in _PLACE_KEPT if key in place}


async def erase_person(uow: UnitOfWork, community_id: uuid.UUID, user_id: uuid.UUID) -> None:
    rows = (
        await uow.session.execute(
            select(orders.c.id, orders.c.pickup, orders.c.dropoff, orders.c.details).where(
                orders.c.community_id == community_id, orders.c.requester_id == user_id
            )
        )
    ).all()
    for row in rows:
        details = {k: v for k, v in (row.details or {}).items() if k not in _DETAILS_ERASED}
        await uow.session.execute(
            update(orders)
            .where(orders.c.id == row.id)
            .values(
                pickup=_scrub_place(row.pickup),
                dropoff=_scrub_place(row.dropoff),
                details=details,
                note=None,
            )
        )
    await uow.session.execute(
        delete(quotes).where(quotes.c.community_id == community_id, quotes.c.requester_id == user_id)
    )
    await uow.session.execute(
        delete(resident_households).where(
            resident_households.c.community_id == community_id, resident_households.c.user_id == user_id
        )
    )
    await uow.session.execute(
        update(couriers)
        .where(couriers.c.community_id == community_id, couriers.c.user_id == user_id)
        .values(active=False)
    )
