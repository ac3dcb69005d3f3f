"""The community's deliberation policy: support threshold, support window, quorum and pass
ratio. The committee (and admins) set it; topics copy it when they are opened."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from forum.adapters.tables import deliberation_policies
from forum.config import Settings
from forum.service_layer.common import Actor
from servicekit.db import UnitOfWork

FIELDS = ("support_threshold", "window_days", "quorum_households", "pass_ratio")


def default_policy(settings: Settings) -> dict[str, Any]:
    return {
        "support_threshold": settings.support_threshold,
        "window_days": settings.support_window_days,
        "quorum_households": settings.quorum,
        "pass_ratio": settings.pass_ratio,
        "source": "default",
        "updated_by": None,
        "updated_at": None,
    }


async def current_policy(uow: UnitOfWork, community_id: uuid.UUID, settings: Settings) -> dict[str, Any]:
    """The community's policy, or the service's defaults when it has set none."""
    row = (
        await uow.session.execute(
            select(deliberation_policies).where(deliberation_policies.c.community_id == community_id)
        )
    ).first()
    if row is None:
        return default_policy(settings)
    return {
        **{name: getattr(row, name) for name in FIELDS},
        "source": "community",
        "updated_by": row.updated_by,
        "updated_at": row.updated_at,
    }


async def get_policy(uow: UnitOfWork, actor: Actor, settings: Settings) -> dict[str, Any]:
    return await current_policy(uow, actor.community_id, settings)


async def set_policy(  # the router admits the committee and admins only
    uow: UnitOfWork, actor: Actor, values: dict[str, Any], settings: Settings, now: datetime
) -> dict[str, Any]:
    policy = {name: values[name] for name in FIELDS}
    await uow.session.execute(
        pg_insert(deliberation_policies)
        .values(community_id=actor.community_id, updated_by=actor.id, updated_at=now, **policy)
        .on_conflict_do_update(
            index_elements=["community_id"], set_={**policy, "updated_by": actor.id, "updated_at": now}
        )
    )
    await uow.commit()
    return await current_policy(uow, actor.community_id, settings)
