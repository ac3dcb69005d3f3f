"""Photo intake every service reuses (docs/architecture.md §5): JPEG/PNG/WebP only, recognised from the bytes
(never from the file name or the client's content type), at most 10 MB, 40 megapixels and 6 per
object, downscaled to at most 2048 px on the longest side and re-encoded so that EXIF (GPS, camera
serial, time) and any payload hidden after the image data are gone, stored on local disk under a
configurable root (one machine) or in S3-compatible object storage (replicas; servicekit.s3_photos),
and streamed back by the service after its own authorisation.

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
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from fastapi import Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import Field, SecretStr, model_validator
from sqlalchemy import ColumnElement, select
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile as StarletteUploadFile

from servicekit.db import UnitOfWorkFactory
from servicekit.errors import ProblemError
from servicekit.health import HealthCheck, advisory
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
from servicekit.settings import LOCAL_STATE_DIR, BaseServiceSettings

__all__ = [
    "DECODE_WORKERS",
    "DEFAULT_PHOTO_ROOT",
    "MAX_PHOTOS_PER_OBJECT",
    "MAX_PHOTO_BYTES",
    "MAX_PIXELS",
    "MAX_STORED_SIDE",
    "CleanPhoto",
    "OrphanPhotoSweep",
    "PhotoSettings",
    "PhotoStorage",
    "PhotoStore",
    "PhotoStream",
    "StoredObject",
    "check_count",
    "clean",
    "clean_off_loop",
    "decoder_count",
    "decoder_pool",
    "discard",
    "intake",
    "multipart_body",
    "new_photo_name",
    "open_photo_store",
    "photo_form",
    "photo_response",
    "photo_storage",
    "read_limited",
    "sniff",
    "store_of",
]

MAX_PHOTOS_PER_OBJECT = 6
log = get_logger(__name__)

DEFAULT_PHOTO_ROOT = LOCAL_STATE_DIR / "photos"
# How many photos are decoded at once, per service process: one per core this process may run on
# (``<P>PHOTO_DECODE_WORKERS`` overrides it: in a container the node's cores are not the pod's).
DECODE_WORKERS = max(1, len(os.sched_getaffinity(0)))
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
        self.workers = DECODE_WORKERS

    def configure(self, workers: int) -> None:
        """Decode ``workers`` photos at once (0: DECODE_WORKERS); applies to the next pool."""
        self.workers = workers or DECODE_WORKERS

    def get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # Nothing is preloaded into the fork server, so starting it costs little; each
                # worker lowers its priority and ignores SIGINT first and then imports
                # servicekit.imaging (Pillow only) for its first job, at the lower priority.
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
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
        for future in [pool.submit(clean_image, b"") for _ in range(self.workers)]:
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


def decoder_count() -> int:
    """How many photos this process decodes at once (``<P>PHOTO_DECODE_WORKERS`` or one per CPU)."""
    return _decoders.workers


@contextlib.asynccontextmanager
async def decoder_pool(app: object, runtime: object) -> AsyncIterator[Mapping[str, HealthCheck]]:
    """Lifespan hook (servicekit.app) for services that take photos: the decoder processes start
    beside the service, so the first upload does not wait seconds for them; stopped at shutdown."""
    settings = getattr(runtime, "settings", None)
    if isinstance(settings, PhotoSettings):
        _decoders.configure(settings.photo_decode_workers)
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


@dataclass(frozen=True)
class StoredObject:
    """One stored photo as the sweep sees it: its path (relative to the store) and when written."""

    path: str
    modified: float  # seconds since the epoch


class PhotoStream:
    """A stored photo being read, in chunks; opened only once it is known to exist (so a missing
    photo is a 404 before any header goes out). Close it, or let ``photo_response`` do it."""

    def __init__(
        self,
        size: int | None,
        read_chunk: Callable[[], bytes],
        close: Callable[[], None],
    ) -> None:
        self.size = size
        self._read_chunk = read_chunk
        self._close = close
        self._closed = False

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(self._read_chunk):
                yield chunk
        finally:
            await self.aclose()

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await asyncio.to_thread(self._close)


class PhotoStorage(Protocol):
    """Where cleaned photos are kept: ``PhotoStore`` (local disk, the default for one machine) or
    ``servicekit.s3_photos.S3PhotoStore`` (S3-compatible object storage, for replicas). Paths are
    ``<owner parts>/<uuid>.<ext>`` in both, so rows do not change with the backend."""

    async def save(self, photo: CleanPhoto, *parts: str) -> str:
        """Store the photo; its path (relative to the store)."""
        ...

    async def open(self, relative: str) -> PhotoStream:
        """The photo's bytes as a stream; FileNotFoundError when there is none."""
        ...

    async def delete(self, relative: str) -> None:
        """Remove the photo (nothing when it is not there)."""
        ...

    async def listing(self) -> list[StoredObject]:
        """Every stored object of this store (the orphan sweep compares them with the rows)."""
        ...

    async def prepare(self) -> None:
        """Ready the storage at start-up (the S3 store creates its bucket when allowed)."""
        ...

    def health_check(self) -> HealthCheck | None:
        """A readiness check of the storage, or None when there is nothing outside the process."""
        ...

    async def aclose(self) -> None: ...


def _check_parts(parts: Sequence[str]) -> None:
    for part in parts:
        if not part or "/" in part or part in {".", ".."}:
            raise ValueError(f"unsafe path part {part!r}")


def new_photo_name(photo: CleanPhoto, *parts: str) -> str:
    """``<parts>/<uuid>.<ext>``: the relative path a new photo is stored under."""
    _check_parts(parts)
    return "/".join([*parts, f"{uuid.uuid4().hex}.{photo.extension}"])


class PhotoStore:
    """Local disk: files under ``root``/<owner parts>/<uuid>.<ext>; paths handed out are relative
    to root. A photo is readable only by processes that see this disk (one machine, or a shared
    volume); replicas use object storage instead."""

    def __init__(self, root: Path | str = DEFAULT_PHOTO_ROOT) -> None:
        self.root = Path(root)

    async def save(self, photo: CleanPhoto, *parts: str) -> str:
        relative = new_photo_name(photo, *parts)
        await asyncio.to_thread(self._write, relative, photo.data)
        return relative

    def _write(self, relative: str, data: bytes) -> None:
        final = self.root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, final)

    def path_of(self, relative: str) -> Path:
        resolved = (self.root / relative).resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise ValueError("path escapes the photo root")
        return resolved

    async def open(self, relative: str) -> PhotoStream:
        path = self.path_of(relative)
        handle = await asyncio.to_thread(path.open, "rb")
        size = os.fstat(handle.fileno()).st_size
        return PhotoStream(size, functools.partial(handle.read, _READ_CHUNK), handle.close)

    async def read(self, relative: str) -> bytes:
        return await (await self.open(relative)).read()

    async def delete(self, relative: str) -> None:
        await asyncio.to_thread(self.path_of(relative).unlink, missing_ok=True)

    async def listing(self) -> list[StoredObject]:
        return await asyncio.to_thread(self._listing)

    def _listing(self) -> list[StoredObject]:
        if not self.root.is_dir():
            return []
        found: list[StoredObject] = []
        for path in self.root.rglob("*"):
            with contextlib.suppress(FileNotFoundError):
                if path.is_file():
                    found.append(StoredObject(path.relative_to(self.root).as_posix(), path.stat().st_mtime))
        return found

    async def prepare(self) -> None:
        return None

    def health_check(self) -> HealthCheck | None:
        return None

    async def aclose(self) -> None:
        return None


class PhotoSettings(BaseServiceSettings):
    """The photo settings of a service that takes photos (errand, reports). ``photo_storage``:
    ``local`` (files under ``photo_root``, the default for one machine) or ``s3`` (any
    S3-compatible object storage: MinIO, Ceph RGW, Aliyun OSS, Tencent COS, AWS S3), needed as
    soon as a service runs in more than one replica. One bucket can hold every service's photos:
    each keeps its objects under ``<service_name>/``."""

    photo_root: Path = DEFAULT_PHOTO_ROOT
    photo_storage: Literal["local", "s3"] = "local"
    # e.g. http://minio:9000 (https:// for TLS); the path style is used, so any S3 peer works.
    photo_s3_endpoint: str = ""
    photo_s3_bucket: str = "weilinli-photos"
    photo_s3_region: str = "us-east-1"
    photo_s3_access_key: SecretStr = SecretStr("")
    photo_s3_secret_key: SecretStr = SecretStr("")
    # Create the bucket at start-up when it is missing (turn off where the credentials may not).
    photo_s3_create_bucket: bool = True
    # Photos decoded at once, each in a process of its own (0: one per core the process may use).
    # Set it in containers: a pod sees the node's cores, and each decoder costs memory.
    photo_decode_workers: int = Field(default=0, ge=0, le=64)

    @model_validator(mode="after")
    def _s3_is_complete(self) -> PhotoSettings:
        if self.photo_storage == "s3":
            missing = [
                name
                for name in ("photo_s3_endpoint", "photo_s3_access_key", "photo_s3_secret_key")
                if not _text(getattr(self, name))
            ]
            if missing:
                prefix = self.model_config.get("env_prefix", "")
                names = ", ".join(f"{prefix}{name.upper()}" for name in missing)
                raise ValueError(f"{self.service_name}: photo_storage=s3 needs {names}")
        return self


def _text(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def open_photo_store(settings: PhotoSettings) -> PhotoStorage:
    """The store the settings describe (the S3 client is imported only when it is used)."""
    if settings.photo_storage == "s3":
        from servicekit.s3_photos import S3PhotoStore

        return S3PhotoStore.from_settings(settings)
    return PhotoStore(settings.photo_root)


@contextlib.asynccontextmanager
async def photo_storage(app: Any, runtime: Any) -> AsyncIterator[Mapping[str, HealthCheck]]:
    """Lifespan hook (servicekit.app), listed before the hooks that use it: the service's store
    as ``app.state.photo_store``, one per process (the S3 client keeps a connection pool). Object
    storage is an advisory readiness check: without it only photo routes fail."""
    settings = runtime.settings
    assert isinstance(settings, PhotoSettings)
    store = open_photo_store(settings)
    app.state.photo_store = store
    try:
        await store.prepare()
    except Exception as exc:  # the service still starts; the readiness report says what is wrong
        log.error("photo_storage_not_prepared", error=repr(exc)[:300])
    check = store.health_check()
    try:
        yield {} if check is None else {"photo_storage": advisory(check)}
    finally:
        await store.aclose()


def store_of(app: Any) -> PhotoStorage:
    store: PhotoStorage = app.state.photo_store
    return store


async def discard(store: PhotoStorage, relative: str) -> None:
    """Remove a photo whose row did not commit. Never raises over the original failure: an
    object this cannot remove (storage unreachable) is the orphan sweep's."""
    try:
        await store.delete(relative)
    except Exception as exc:
        log.warning("photo_discard_failed", path=relative, error=repr(exc)[:300])


def photo_response(stream: PhotoStream, content_type: str) -> StreamingResponse:
    """Stream a stored photo to a caller the service has authorised (same checks as ever: photos
    are never public, and object storage is never reachable from outside)."""
    headers = {"Cache-Control": "private, max-age=3600"}
    if stream.size is not None:
        headers["Content-Length"] = str(stream.size)
    return StreamingResponse(
        stream.chunks(), media_type=content_type, headers=headers, background=BackgroundTask(stream.aclose)
    )


class OrphanPhotoSweep:
    """Removes stored photos that no row names, on disk or in object storage alike.

    A photo is written before the transaction that records its row commits (a committed row
    must never point at a missing object) and deleted when that transaction fails; a process
    killed in between, or a delete the storage refused, leaves an object no row names. The sweep
    deletes such objects once they are older than ``grace_seconds`` (no request holds a photo that
    long before committing; it also covers clock skew between the service and the storage). It
    reads the known paths first and then lists, so an object written meanwhile is younger than
    the grace and stays. Safe on several replicas sharing one store: each deletes only what no
    row names.
    """

    def __init__(
        self,
        store: PhotoStorage,
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
        """Delete the orphans; returns their paths (relative to the store)."""
        now = time.time() if now is None else now
        async with self.uows() as uow:
            known = set((await uow.session.scalars(select(self.path_column))).all())
        cutoff = now - self.grace_seconds
        removed: list[str] = []
        for stored in await self.store.listing():
            if stored.path not in known and stored.modified < cutoff:
                await self.store.delete(stored.path)
                removed.append(stored.path)
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
        "photo_storage_unavailable": {
            "zh-CN": ("图片存储暂不可用", "图片存储暂时无法访问，请稍后再试。"),
            "en": (
                "Photo storage unavailable",
                "Photo storage cannot be reached right now; try again shortly.",
            ),
            "ko": (
                "사진 저장소를 사용할 수 없음",
                "지금은 사진 저장소에 연결할 수 없습니다. 잠시 후 다시 시도하세요.",
            ),
        },
        "photo_limit_reached": {
            "zh-CN": ("图片数量已达上限", "每条记录最多 {limit} 张图片。"),
            "en": ("Too many images", "At most {limit} images per item."),
            "ko": ("이미지 개수 초과", "항목당 이미지는 최대 {limit}장입니다."),
        },
    }
)
