"""Open311 API keys: admins make and revoke them. The key is shown once; only its SHA-256 is
stored, and a POST's key is checked against it (`community_of_key`)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping

from reports.adapters.tables import open311_keys
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError


def key_hash(api_key: str) -> str:
    """What is stored of a key: its SHA-256, hex (the key itself is shown once)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


async def community_of_key(uow: UnitOfWork, api_key: str) -> uuid.UUID | None:
    """The community a live (not revoked) key belongs to; None for an unknown or revoked key."""
    row = (
        await uow.session.execute(
            select(open311_keys.c.community_id).where(
                open311_keys.c.key_hash == key_hash(api_key), open311_keys.c.revoked_at.is_(None)
            )
        )
    ).first()
    return None if row is None else cast(uuid.UUID, row.community_id)


async def create_key(
    uow: UnitOfWork, community_id: uuid.UUID, *, label: str, created_by: uuid.UUID, now: datetime
) -> dict[str, Any]:
    """The new key's row, with the key itself (`api_key`) that is never stored."""
    api_key = "o311_" + secrets.token_urlsafe(32)
    values = {
        "id": uuid.uuid4(),
        "community_id": community_id,
        "key_hash": key_hash(api_key),
        "label": label,
        "created_by": created_by,
        "created_at": now,
    }
    await uow.session.execute(insert(open311_keys).values(**values))
    await uow.commit()
    return {**values, "revoked_at": None, "api_key": api_key}


async def list_keys(uow: UnitOfWork, community_id: uuid.UUID) -> Sequence[RowMapping]:
    rows = await uow.session.execute(
        select(open311_keys)
        .where(open311_keys.c.community_id == community_id)
        .order_by(open311_keys.c.created_at.desc())
    )
    return rows.mappings().all()


async def revoke_key(uow: UnitOfWork, community_id: uuid.UUID, key_id: uuid.UUID, *, now: datetime) -> None:
    result = await uow.session.execute(
        update(open311_keys)
        .where(
            open311_keys.c.id == key_id,
            open311_keys.c.community_id == community_id,
            open311_keys.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .returning(open311_keys.c.id)
    )
    if result.first() is None:
        raise DomainError("open311_key_not_found", 404)
    await uow.commit()
