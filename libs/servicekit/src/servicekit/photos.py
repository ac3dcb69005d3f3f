"""Photo intake every service reuses (DESIGN.md §5): JPEG/PNG/WebP only, recognised from the bytes
(never from the file name or the client's content type), at most 10 MB and 6 per object,
re-encoded so that EXIF (GPS, camera serial, time) and any payload hidden after the image data
are gone, stored under a configurable root on local disk.

Who may upload or see a photo is the service's decision; this module only validates, cleans,
stores, reads back and deletes. Nothing is written before the bytes have passed every check, so
a refused upload leaves no file behind.
"""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from fastapi import UploadFile
from PIL import Image, ImageOps, UnidentifiedImageError

from servicekit.errors import ProblemError
from servicekit.i18n import register_messages
from servicekit.settings import LOCAL_STATE_DIR

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS_PER_OBJECT = 6
DEFAULT_PHOTO_ROOT = LOCAL_STATE_DIR / "photos"
# Decompression bombs: a 10 MB PNG can claim gigapixels. Phone photos are ~12-50 MP.
MAX_PIXELS = 80_000_000

_PIL_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
_READ_CHUNK = 256 * 1024


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


def clean(data: bytes) -> CleanPhoto:
    """Validate and re-encode. 415 for anything that is not a decodable JPEG/PNG/WebP."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ProblemError("photo_too_large", 413, params={"limit_mb": MAX_PHOTO_BYTES // (1024 * 1024)})
    declared = sniff(data)
    if declared is None:
        raise ProblemError("photo_type_unsupported", 415)
    try:
        with Image.open(io.BytesIO(data), formats=[declared]) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ProblemError("photo_type_unsupported", 415)
            probe.load()
            # Apply the EXIF orientation before the EXIF goes, so the photo stays upright.
            image = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
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
        "photo_limit_reached": {
            "zh-CN": ("图片数量已达上限", "每条记录最多 {limit} 张图片。"),
            "en": ("Too many images", "At most {limit} images per item."),
            "ko": ("이미지 개수 초과", "항목당 이미지는 최대 {limit}장입니다."),
        },
    }
)
