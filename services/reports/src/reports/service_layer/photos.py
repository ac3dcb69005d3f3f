"""Before/after photos of a report. The caller and the count are checked before the upload is
read; the bytes are validated and cleaned (off the event loop) before anything is written; the
photo is stored (disk or object storage) before the row and removed again if the row does not
commit, so a refused or failed upload leaves neither a stored photo nor a row."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from reports.adapters.tables import report_photos
from reports.domain import access
from reports.domain.access import Actor
from reports.service_layer.reports import facts, visible_report
from servicekit import photos
from servicekit.db import UnitOfWork
from servicekit.domain import DomainError
from servicekit.errors import NotFound


async def _count(uow: UnitOfWork, report_id: uuid.UUID) -> int:
    existing = await uow.session.execute(
        select(func.count()).select_from(report_photos).where(report_photos.c.report_id == report_id)
    )
    return int(existing.scalar_one())


async def check_upload(uow: UnitOfWork, actor: Actor, report_id: uuid.UUID) -> None:
    """Asked before a byte of the upload is read: 404 unless the actor sees the report, 403
    unless they may add a photo of some kind to it, 422 once it holds six. Ends its transaction,
    so none stays open while the upload arrives and is decoded."""
    row = await visible_report(uow, actor, report_id)
    if not any(access.may_upload(actor, facts(row), kind) for kind in ("before", "after")):
        raise DomainError("forbidden", 403)
    photos.check_count(await _count(uow, report_id))
    await uow.rollback()


async def add_photo(
    uow: UnitOfWork,
    actor: Actor,
    report_id: uuid.UUID,
    *,
    kind: str,
    clean: photos.CleanPhoto,
    store: photos.PhotoStorage,
    now: datetime,
) -> dict[str, Any]:
    """Store a photo that ``check_upload`` admitted and ``photos.intake`` cleaned; every check is
    repeated under the report's lock, so two uploads at once cannot both be the sixth."""
    row = await visible_report(uow, actor, report_id, for_update=True)
    if not access.may_upload(actor, facts(row), kind):
        raise DomainError("forbidden", 403)
    photos.check_count(await _count(uow, report_id))
    path = await store.save(clean, str(row["community_id"]), str(report_id))
    values = {
        "id": uuid.uuid4(),
        "community_id": row["community_id"],
        "report_id": report_id,
        "kind": kind,
        "path": path,
        "content_type": clean.content_type,
        "width": clean.width,
        "height": clean.height,
        "size_bytes": len(clean.data),
        "uploaded_by": actor.user_id,
        "created_at": now,
    }
    try:
        await uow.session.execute(insert(report_photos).values(**values))
        await uow.commit()
    except BaseException:
        await photos.discard(store, path)
        raise
    return values


async def read_photo(
    uow: UnitOfWork, actor: Actor, report_id: uuid.UUID, photo_id: uuid.UUID, store: photos.PhotoStorage
) -> tuple[photos.PhotoStream, str]:
    await visible_report(uow, actor, report_id)
    row = (
        (
            await uow.session.execute(
                select(report_photos).where(
                    report_photos.c.id == photo_id, report_photos.c.report_id == report_id
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound()
    try:
        return await store.open(row["path"]), row["content_type"]
    except FileNotFoundError as exc:
        raise NotFound() from exc


async def list_photos(uow: UnitOfWork, report_id: uuid.UUID) -> list[dict[str, Any]]:
    result = await uow.session.execute(
        select(report_photos)
        .where(report_photos.c.report_id == report_id)
        .order_by(report_photos.c.created_at)
    )
    return [dict(row) for row in result.mappings()]
