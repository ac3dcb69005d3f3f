"""Account deletion (`gateway.user.deleted.v1`): what the person wrote stays, the person goes.

Posts and threads keep their text (a discussion with holes in it would misrepresent everyone
else's replies) but are shown as written by 已注销用户: the people projection's name is replaced,
and the household binding, mediator appointment, posting fingerprints and notices are erased.
Supports, votes and ratings keep counting for their household (a decided vote does not change
when one voter leaves). Disputes keep their parties' ids, which now name nobody.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete

from forum.adapters.tables import households, mediators, notices, people, post_fingerprints
from servicekit.db import UnitOfWork
from servicekit.people import forget_person


async def erase_person(uow: UnitOfWork, community_id: uuid.UUID, user_id: uuid.UUID) -> None:
    for table in (households, mediators, post_fingerprints, notices):
        await uow.session.execute(
            delete(table).where(table.c.community_id == community_id, table.c.user_id == user_id)
        )
    await forget_person(uow, people, community_id, user_id)
