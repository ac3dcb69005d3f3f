"""Photo intake every service reuses (DESIGN.md §5): JPEG/PNG/WebP only, recognised from the bytes
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
``clean_off_loop``, on a pool of as many threads as the machine has cores (Pillow releases the GIL
while it decodes, resizes and encodes), so the event loop stays free and at most that many photos
are decoded at once; the others wait their turn. Inside, the header's dimensions are checked
before a pixel is decoded (``photo_too_many_pixels``), JPEGs are decoded at a reduced DCT scale
when that is enough for the stored size, and the image is downscaled before any mode conversion.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request, UploadFile
from fastapi.exceptions import RequestValidationError
from PIL import Image, ImageOps, UnidentifiedImageError
from starlette.datastructures import UploadFile as StarletteUploadFile

from servicekit.errors import ProblemError
from servicekit.i18n import register_messages
from servicekit.settings import LOCAL_STATE_DIR

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS_PER_OBJECT = 6
DEFAULT_PHOTO_ROOT = LOCAL_STATE_DIR / "photos"
# Decompression bombs: a 10 MB PNG can claim gigapixels. Phone photos are 12-24 MP (48-50 MP
# sensors save 12 MP by default); 40 MP leaves room for those and bounds a decode to ~160 MB.
MAX_PIXELS = 40_000_000
# What is stored: plenty for a report or a proof of delivery seen on a phone.
MAX_STORED_SIDE = 2048
# How many photos are decoded at once, process-wide: one per core.
DECODE_WORKERS = max(1, os.cpu_count() or 1)

_PIL_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
_READ_CHUNK = 256 * 1024
_DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError)
# A dedicated pool (not asyncio's default one, which other blocking calls share): its size is
# the bound on concurrent decodes, whatever event loop submits to it.
_decoders = ThreadPoolExecutor(max_workers=DECODE_WORKERS, thread_name_prefix="photo-decode")


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The image format from the magic bytes: 'JPEG', 'PNG', 'WEBP' or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


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


def _too_many_pixels() -> ProblemError:
    return ProblemError("photo_too_many_pixels", 422, params={"max_megapixels": MAX_PIXELS // 1_000_000})


def _fitted(width: int, height: int, side: int) -> tuple[int, int]:
    """(width, height) scaled so that the longest side is at most ``side``."""
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def clean(data: bytes, *, max_side: int = MAX_STORED_SIDE) -> CleanPhoto:
    """Validate, downscale and re-encode; blocking (``clean_off_loop`` is what services call).
    415 for anything that is not a decodable JPEG/PNG/WebP, 413 past 10 MB, 422 past 40 MP."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ProblemError("photo_too_large", 413, params={"limit_mb": MAX_PHOTO_BYTES // (1024 * 1024)})
    declared = sniff(data)
    if declared is None:
        raise ProblemError("photo_type_unsupported", 415)
    try:
        # Image.open reads the header only: the dimensions are known before any pixel is decoded.
        with Image.open(io.BytesIO(data), formats=[declared]) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise _too_many_pixels()
            if declared == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale when the result still covers the stored size.
                probe.draft(probe.mode, _fitted(probe.width, probe.height, max_side))
            probe.load()
            image: Image.Image = probe
            if max(image.size) > max_side:
                # Downscale before any mode conversion: a one-bit 40 MP image stays 5 MB.
                # (resize keeps .info, so the EXIF orientation below is still known.)
                image = image.resize(_fitted(image.width, image.height, max_side), Image.Resampling.LANCZOS)
            # Apply the EXIF orientation before the EXIF goes, so the photo stays upright.
            image = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as exc:  # Pillow's own limit (above ours), at open
        raise _too_many_pixels() from exc
    except _DECODE_ERRORS as exc:
        raise ProblemError("photo_type_unsupported", 415) from exc
    content_type, extension = _PIL_FORMATS[declared]
    out = io.BytesIO()
    if declared == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    elif declared == "PNG":
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, format="WEBP", quality=85)
    # A fresh image written without exif=/pnginfo= carries no metadata chunks at all.
    return CleanPhoto(out.getvalue(), content_type, extension, image.width, image.height)


async def clean_off_loop(data: bytes, *, max_side: int = MAX_STORED_SIDE) -> CleanPhoto:
    """``clean`` on the decode pool: the event loop stays free, at most DECODE_WORKERS at once."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_decoders, lambda: clean(data, max_side=max_side))


async def intake(upload: UploadFile) -> CleanPhoto:
    """Read (10 MB at most) and clean an upload. Call it only once the caller may upload here."""
    return await clean_off_loop(await read_limited(upload))


def _invalid(field: str, kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body", field), "msg": message, "input": None}])


@contextlib.asynccontextmanager
async def photo_form(
    request: Request, *, file_field: str = "file", text_fields: Sequence[str] = ()
) -> AsyncIterator[tuple[dict[str, Any], UploadFile]]:
    """A multipart photo upload's text fields and its file, parsed only when this is entered.

    An endpoint that takes the ``Request`` instead of FastAPI's ``File()`` parameters can check
    the caller and the count limit first, so a stranger's upload is never read. Missing or
    misplaced parts are the same 422 ``validation_failed`` FastAPI would answer; unknown text
    fields are ignored, as FastAPI does."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise _invalid(file_field, "missing", "Field required")
    async with request.form(max_files=1, max_fields=max(8, 2 * len(text_fields))) as form:
        fields: dict[str, Any] = {}
        upload: UploadFile | None = None
        for name, value in form.multi_items():
            if name == file_field:
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
