"""The courier's proof-of-delivery photo (one per order, optional).

The photo travels with the delivery itself: once the caller is known to be the order's courier, it
is read and cleaned (servicekit.photos: sniffed JPEG/PNG/WebP, 10 MB, 40 MP, downscaled, EXIF/GPS
gone, decoded off the event loop) before the order is locked, written to disk only once the
delivery code has matched, and its row commits in the same transaction as the delivery. If that
transaction does not commit, the photo is removed again (from disk or object storage alike), so a
wrong code, a refused image or a failed commit leaves neither a stored photo nor a row; what a
killed process leaves behind is the orphan sweep's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import UploadFile
from sqlalchemy import insert, select

from errand.adapters.tables import order_proof_photos, orders
from errand.service_layer.access import OrderGuard
from servicekit import photos
from servicekit.db import UnitOfWork
from servicekit.errors import NotFound


@dataclass(frozen=True)
class StagedPhoto:
    """A photo that passed every check and is not stored anywhere yet."""

    photo: photos.CleanPhoto
    store: photos.PhotoStorage


async def stage(upload: UploadFile, store: photos.PhotoStorage) -> StagedPhoto:
    # Re-encoding a phone photo takes a good fraction of a second: intake does it off the loop.
    return StagedPhoto(await photos.intake(upload), store)


async def attach(
    uow: UnitOfWork, staged: StagedPhoto, order: Any, *, uploaded_by: uuid.UUID, at: datetime
) -> str:
    """Store the photo and write its row (uncommitted). Removes the photo again if the row is
    refused; once this returned, the caller removes it if the commit fails."""
    path = await staged.store.save(staged.photo, str(order.community_id), str(order.id))
    try:
        await uow.session.execute(
            insert(order_proof_photos).values(
                order_id=order.id,
                community_id=order.community_id,
                path=path,
                content_type=staged.photo.content_type,
                width=staged.photo.width,
                height=staged.photo.height,
                size_bytes=len(staged.photo.data),
                uploaded_by=uploaded_by,
                created_at=at,
            )
        )
    except BaseException:
        await photos.discard(staged.store, path)
        raise
    return path


async def read_proof_photo(
    uow: UnitOfWork, guard: OrderGuard, order_id: uuid.UUID, store: photos.PhotoStorage
) -> tuple[photos.PhotoStream, str]:
    """The photo (opened, to stream) and its type, for the requester, the order's courier and
    admin; else 404."""
    order = (
        await uow.session.execute(
            select(orders).where(orders.c.id == order_id, orders.c.community_id == guard.actor.community_id)
        )
    ).first()
    if order is None:
        raise NotFound()
    guard.check(order)
    row = (
        await uow.session.execute(
            select(order_proof_photos.c.path, order_proof_photos.c.content_type).where(
                order_proof_photos.c.order_id == order.id
            )
        )
    ).first()
    if row is None:
        raise NotFound()
    try:
        return await store.open(row.path), row.content_type
    except FileNotFoundError as exc:
        raise NotFound() from exc
