"""Account deletion (`gateway.user.deleted.v1`): the person leaves, the repair records stay.

A report's description, category, building, timeline and rating stay (the property office's
record of the work, and the public statistics); the reporter becomes nobody (`reporter_id` null,
anonymous) and the unit and room that located them are erased. "Me too" marks, staff membership
and the people projection's name go.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, update

from reports.adapters.tables import people, report_supporters, reports, staff
from servicekit.db import UnitOfWork
from servicekit.people import forget_person


async def erase_person(uow: UnitOfWork, community_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await uow.session.execute(
        update(reports)
        .where(reports.c.community_id == community_id, reports.c.reporter_id == user_id)
        .values(reporter_id=None, anonymous=True, unit=None, room=None)
    )
    await uow.session.execute(
        delete(report_supporters).where(
            report_supporters.c.community_id == community_id, report_supporters.c.user_id == user_id
        )
    )
    await uow.session.execute(
        delete(staff).where(staff.c.community_id == community_id, staff.c.user_id == user_id)
    )
    await forget_person(uow, people, community_id, user_id)
