"""Photo intake every service reuses (docs/architecture.md §5): JPEG/PNG/WebP only, recognised from the bytes
(never from the file name or the client's content type), at most 10 MB, 40 megapixels and 6 per
object, downscaled to at most 2048 px on the longest side and re-encoded so that EXIF (GPS, camera
serial, time) and any payload hidden after the image data are gone, stored under a configurable
root on local disk.

Who may upload or see a photo is the service's decision; this module only validates, cleans,
stores, reads back and deletes. Services check the caller and the count limit *before* reading the
upload (a stranger never costs a decode). Nothing is written before the bytes have passed every
check, so a refused upload leaves no file behind.

Decoding is the expensive part, and a small file can claim a huge image (a 10 KB one-colour PNG of
8944x8944 costs seconds of CPU and hundreds of MB): every Pillow call on an upload runs in
``clean_off_loop``, on a pool of as many lower-priority processes as the machine has cores, so the
event loop stays free and at most that many photos are decoded at once; the others wait their
turn. What they run is servicekit.imaging (Pillow only): the header's dimensions are checked
before a pixel is decoded (``photo_too_many_pixels``), then the image is downscaled and re-encoded.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import multiprocessing.forkserver
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from fastapi import Request, UploadFile
from fastapi.exceptions import RequestValidationError
from sqlalchemy import ColumnElement, select
from starlette.datastructures import UploadFile as StarletteUploadFile

from servicekit.db import UnitOfWorkFactory
from servicekit.errors import ProblemError
from servicekit.health import HealthCheck
from servicekit.i18n import register_messages
from servicekit.imaging import (
    MAX_PHOTO_BYTES,
    MAX_PIXELS,
    MAX_STORED_SIDE,
    CleanPhoto,
    Refusal,
    clean_image,
    sniff,
    start_decoder_worker,
)
from servicekit.logging import get_logger
from servicekit.settings import LOCAL_STATE_DIR

__all__ = [
    "DECODE_WORKERS",
    "DEFAULT_PHOTO_ROOT",
    "MAX_PHOTOS_PER_OBJECT",
    "MAX_PHOTO_BYTES",
    "MAX_PIXELS",
    "MAX_STORED_SIDE",
    "CleanPhoto",
    "OrphanPhotoSweep",
    "PhotoStore",
    "check_count",
    "clean",
    "clean_off_loop",
    "decoder_pool",
    "intake",
    "multipart_body",
    "photo_form",
    "read_limited",
    "sniff",
]

MAX_PHOTOS_PER_OBJECT = 6
log = get_logger(__name__)

DEFAULT_PHOTO_ROOT = LOCAL_STATE_DIR / "photos"
# How many photos are decoded at once, per service process: one per core.
DECODE_WORKERS = max(1, os.cpu_count() or 1)
# Decoder processes run at a lower priority: on a busy machine requests are served first.
DECODE_NICENESS = 10

_READ_CHUNK = 256 * 1024


async def read_limited(upload: UploadFile, limit: int = MAX_PHOTO_BYTES) -> bytes:
    """The upload's bytes, refusing (413) as soon as more than ``limit`` arrive."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise ProblemError("photo_too_large", 413, params={"limit_mb": limit // (1024 * 1024)})
        chunks.append(chunk)
    return b"".join(chunks)


def _refused(refusal: Refusal) -> ProblemError:
    return ProblemError(refusal.code, refusal.status, params=refusal.params)


def clean(data: bytes, *, max_side: int = MAX_STORED_SIDE) -> CleanPhoto:
    """Validate, downscale and re-encode, blocking (services call ``clean_off_loop``): 415 for
    anything that is not a decodable JPEG/PNG/WebP, 413 past 10 MB, 422 past 40 megapixels."""
    result = clean_image(data, max_side)
    if isinstance(result, Refusal):
        raise _refused(result)
    return result


class _DecoderPool:
    """A pool of DECODE_WORKERS processes, started with the service (``decoder_pool``) or on first
    use, from a fork server (so nothing of the service's threads or connections is inherited), and
    replaced if one of them dies. Processes
    rather than threads: a decode never holds the service's GIL, and its memory is its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # Nothing is preloaded into the fork server, so starting it costs little; each
                # worker lowers its priority and ignores SIGINT first and then imports
                # servicekit.imaging (Pillow only) for its first job, at the lower priority.
                self._pool = ProcessPoolExecutor(
                    max_workers=DECODE_WORKERS,
                    mp_context=multiprocessing.get_context("forkserver"),
                    initializer=start_decoder_worker,
                    initargs=(DECODE_NICENESS,),
                )
            return self._pool

    def discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    def warm(self) -> None:
        """Start every worker and have it import Pillow now (blocking: run it in a thread)."""
        pool = self.get()
        for future in [pool.submit(clean_image, b"") for _ in range(DECODE_WORKERS)]:
            future.result()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
            # The fork server outlives the pool and ignores Ctrl-C; stop it with the service so
            # nothing of the service's process group is left behind (multiprocessing has no
            # public call for this; its own tests use this one).
            stop = getattr(multiprocessing.forkserver._forkserver, "_stop", None)
            if stop is not None:
                with contextlib.suppress(OSError, ChildProcessError):
                    stop()


_decoders = _DecoderPool()


@contextlib.asynccontextmanager
async def decoder_pool(app: object, runtime: object) -> AsyncIterator[Mapping[str, HealthCheck]]:
    """Lifespan hook (servicekit.app) for services that take photos: the decoder processes start
    beside the service, so the first upload does not wait seconds for them; stopped at shutdown."""
    warming = asyncio.create_task(asyncio.to_thread(_decoders.warm))
    try:
        yield {}
    finally:
        with contextlib.suppress(Exception):
            await warming
        await asyncio.to_thread(_decoders.close)


async def clean_off_loop(data: bytes, *, max_side: int = MAX_STORED_SIDE) -> CleanPhoto:
    """``clean`` in the decoder processes: the event loop stays free and at most DECODE_WORKERS
    photos are decoded at once (the pool's size is the bound; the rest wait their turn). A photo
    whose decoder died (killed, out of memory) is tried once more on a fresh pool, then refused."""
    job = functools.partial(clean_image, data, max_side)
    for attempt in range(2):
        pool = _decoders.get()
        try:
            # Submitting may start the fork server and a worker (seconds the first time): that
            # waits in a thread, never on the event loop.
            future = await asyncio.to_thread(pool.submit, job)
            result = await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            _decoders.discard(pool)
            if attempt:
                raise ProblemError("photo_type_unsupported", 415) from exc
            continue
        if isinstance(result, Refusal):
            raise _refused(result)
        return result
    raise AssertionError("unreachable")


async def intake(upload: UploadFile) -> CleanPhoto:
    """Read (10 MB at most) and clean an upload. Call it only once the caller may upload here."""
    return await clean_off_loop(await read_limited(upload))


def _invalid(field: str, kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body", field), "msg": message, "input": None}])


@contextlib.asynccontextmanager
async def photo_form(
    request: Request,
    *,
    file_field: str = "file",
    text_fields: Sequence[str] = (),
    file_aliases: Sequence[str] = (),
) -> AsyncIterator[tuple[dict[str, Any], UploadFile]]:
    """A multipart photo upload's text fields and its file, parsed only when this is entered.

    An endpoint that takes the ``Request`` instead of FastAPI's ``File()`` parameters can check
    the caller and the count limit first, so a stranger's upload is never read. Missing or
    misplaced parts are the same 422 ``validation_failed`` FastAPI would answer; unknown text
    fields are ignored, as FastAPI does. ``file_aliases``: older names of the file field, still
    accepted from clients that send them."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise _invalid(file_field, "missing", "Field required")
    async with request.form(max_files=1, max_fields=max(8, 2 * len(text_fields))) as form:
        fields: dict[str, Any] = {}
        upload: UploadFile | None = None
        for name, value in form.multi_items():
            if name == file_field or name in file_aliases:
                if not isinstance(value, StarletteUploadFile):
                    raise _invalid(name, "value_error", "Expected a file")
                # FastAPI's UploadFile is Starlette's with schema hooks; only read() is used.
                upload = value  # type: ignore[assignment]
            elif name in text_fields:
                if not isinstance(value, str):
                    raise _invalid(name, "string_type", "Input should be a valid string")
                fields[name] = value
        if upload is None:
            raise _invalid(file_field, "missing", "Field required")
        yield fields, upload


def multipart_body(file_field: str, file_description: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an endpoint that reads its upload with ``photo_form``."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [file_field],
                        "properties": {
                            file_field: {
                                "type": "string",
                                "format": "binary",
                                "description": file_description,
                            },
                            **fields,
                        },
                    }
                }
            },
        }
    }


class PhotoStore:
    """Files under ``root``/<owner parts>/<uuid>.<ext>; paths handed out are relative to root."""

    def __init__(self, root: Path | str = DEFAULT_PHOTO_ROOT) -> None:
        self.root = Path(root)

    def save(self, photo: CleanPhoto, *parts: str) -> str:
        for part in parts:
            if not part or "/" in part or part in {".", ".."}:
                raise ValueError(f"unsafe path part {part!r}")
        directory = self.root.joinpath(*parts)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.{photo.extension}"
        final = directory / name
        tmp = directory / f".{name}.tmp"
        tmp.write_bytes(photo.data)
        os.replace(tmp, final)
        return "/".join([*parts, name])

    def path_of(self, relative: str) -> Path:
        resolved = (self.root / relative).resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise ValueError("path escapes the photo root")
        return resolved

    def read(self, relative: str) -> bytes:
        return self.path_of(relative).read_bytes()

    def delete(self, relative: str) -> None:
        self.path_of(relative).unlink(missing_ok=True)


class OrphanPhotoSweep:
    """Removes photo files that no row names.

    A photo file is written before the transaction that records its row commits (a committed row
    must never point at a missing file) and deleted when that transaction fails; a process killed
    in between leaves a file no row names. The sweep deletes such files once they are older than
    ``grace_seconds`` (no request holds a photo that long before committing). It reads the known
    paths first and then scans, so a file written meanwhile is younger than the grace and stays.
    Safe on several replicas sharing one root: each deletes only what no row names.
    """

    def __init__(
        self,
        store: PhotoStore,
        path_column: ColumnElement[str],
        uows: UnitOfWorkFactory,
        *,
        grace_seconds: float = 3600.0,
        every_seconds: float = 3600.0,
    ) -> None:
        self.store = store
        self.path_column = path_column
        self.uows = uows
        self.grace_seconds = grace_seconds
        self.every_seconds = every_seconds
        self._last_run: float | None = None

    async def run_once(self, now: float | None = None) -> list[str]:
        """Delete the orphans; returns their paths (relative to the store's root)."""
        now = time.time() if now is None else now
        async with self.uows() as uow:
            known = set((await uow.session.scalars(select(self.path_column))).all())
        removed = await asyncio.to_thread(self._sweep, known, now - self.grace_seconds)
        self._last_run = now
        if removed:
            log.info("orphan_photos_removed", count=len(removed))
        return removed

    async def run_if_due(self, now: float | None = None) -> list[str]:
        """``run_once`` at most every ``every_seconds`` (the job loops call this each round)."""
        now = time.time() if now is None else now
        if self._last_run is not None and now - self._last_run < self.every_seconds:
            return []
        return await self.run_once(now)

    def _sweep(self, known: set[str], cutoff: float) -> list[str]:
        root = self.store.root
        if not root.is_dir():
            return []
        removed: list[str] = []
        for path in root.rglob("*"):
            relative = path.relative_to(root).as_posix()
            if relative in known or not path.is_file():
                continue
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    removed.append(relative)
        return removed


def check_count(existing: int, limit: int = MAX_PHOTOS_PER_OBJECT) -> None:
    """422 once an object already holds ``limit`` photos."""
    if existing >= limit:
        raise ProblemError("photo_limit_reached", 422, params={"limit": limit})


register_messages(
    {
        "photo_type_unsupported": {
            "zh-CN": ("图片格式不支持", "只接受 JPEG、PNG 或 WebP 图片。"),
            "en": ("Unsupported image", "Only JPEG, PNG or WebP images are accepted."),
            "ko": ("지원하지 않는 이미지", "JPEG, PNG 또는 WebP 이미지만 올릴 수 있습니다."),
        },
        "photo_too_large": {
            "zh-CN": ("图片过大", "每张图片不能超过 {limit_mb} MB。"),
            "en": ("Image too large", "Each image must be at most {limit_mb} MB."),
            "ko": ("이미지가 너무 큼", "이미지는 {limit_mb}MB 이하여야 합니다."),
        },
        "photo_too_many_pixels": {
            "zh-CN": ("图片像素过多", "每张图片最多 {max_megapixels} 百万像素。"),
            "en": ("Too many pixels", "Each image may have at most {max_megapixels} megapixels."),
            "ko": ("이미지 해상도가 너무 큼", "이미지는 최대 {max_megapixels}메가픽셀까지 올릴 수 있습니다."),
        },
        "photo_limit_reached": {
            "zh-CN": ("图片数量已达上限", "每条记录最多 {limit} 张图片。"),
            "en": ("Too many images", "At most {limit} images per item."),
            "ko": ("이미지 개수 초과", "항목당 이미지는 최대 {limit}장입니다."),
        },
    }
)
