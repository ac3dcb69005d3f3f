"""The services' projections for what existed before them: every community announced again
(`gateway.community.created.v1`) and every live account (`gateway.user.profile_changed.v1`, with
its name and language), through the outbox like any other event, in batches.

Idempotent on the consumers' side (upserts by id), so running it twice, or while users rename
themselves, leaves each projection with the account's current name: the events of one account
leave the outbox in the order they were written. Deleted accounts are not announced (their
`gateway.user.deleted.v1` already went out).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select

from contracts import CommunityCreatedV1, UserProfileChangedV1
from gateway.adapters.tables import communities, users
from servicekit.db import UnitOfWork


async def announce_everyone(
    uows: Callable[[], UnitOfWork], *, community_code: str | None = None, batch: int = 500
) -> dict[str, int]:
    """Write the events; returns how many communities and accounts were announced."""
    async with uows() as uow:
        query = select(communities.c.id, communities.c.code, communities.c.name).order_by(communities.c.code)
        if community_code is not None:
            query = query.where(communities.c.code == community_code)
        found = (await uow.session.execute(query)).all()
        for row in found:
            uow.emit(CommunityCreatedV1(community_id=row.id, code=row.code, name=row.name))
        await uow.commit()
    announced = 0
    for community in found:
        after = uuid.UUID(int=0)
        while True:
            async with uows() as uow:
                rows = (
                    await uow.session.execute(
                        select(users.c.id, users.c.display_name, users.c.locale)
                        .where(
                            users.c.community_id == community.id,
                            users.c.deleted_at.is_(None),
                            users.c.id > after,
                        )
                        .order_by(users.c.id)
                        .limit(batch)
                    )
                ).all()
                for row in rows:
                    uow.emit(
                        UserProfileChangedV1(
                            community_id=community.id,
                            user_id=row.id,
                            display_name=row.display_name,
                            locale=row.locale if row.locale in ("zh-CN", "en", "ko") else None,
                        )
                    )
                await uow.commit()
            announced += len(rows)
            if len(rows) < batch:
                break
            after = rows[-1].id
    return {"communities": len(found), "users": announced}
