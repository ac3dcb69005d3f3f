"""Pillow's part of the photo intake (servicekit.photos): one untrusted image in, a clean,
downscaled re-encoding or a refusal out. It imports nothing but Pillow, because it is what the
decoder processes run: each starts fast and holds no more than it needs.

The header's dimensions are checked before a pixel is decoded; JPEGs are decoded at a reduced DCT
scale when that still gives 90 % of the stored size; the image is downscaled before any mode conversion
(a one-bit 40 MP image stays 5 MB); it is written afresh without exif=/pnginfo=, so no metadata
(GPS, camera serial, time) and nothing hidden after the image data survives.
"""

from __future__ import annotations

import io
import os
import signal
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError


def start_decoder_worker(niceness: int) -> None:
    """Initializer of a decoder process: a lower priority, so requests are served first, and no
    KeyboardInterrupt: Ctrl-C reaches the whole process group, and the service that owns the
    pool shuts it down itself."""
    os.nice(niceness)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Decompression bombs: a 10 MB PNG can claim gigapixels. Phone photos are 12-24 MP (48-50 MP
# sensors save 12 MP by default); 40 MP leaves room for those and bounds a decode to ~160 MB.
MAX_PIXELS = 40_000_000
# What is stored: plenty for a report or a proof of delivery seen on a phone.
MAX_STORED_SIDE = 2048
# A JPEG is decoded at 1/2, 1/4 or 1/8 scale (DCT scaling, libjpeg's cheapest path) whenever the
# result still has this share of MAX_STORED_SIDE: a 4000x3000 phone photo decodes straight to
# 2000x1500 (73 ms CPU instead of 114 ms) and needs no resampling at all (bicubic 4000 -> 2048
# cost ~130 ms). Issue 16.4, measured in bench/photo_loop_lag.py.
DRAFT_SHARE = 0.9
# JPEG re-encoding: quality 80 without Huffman optimisation. On the benchmark's 12 MP photo
# (2000x1500) q85 + optimize cost 114 ms for 979 KB, q85 93 ms / 1,032 KB, q80 ~95 ms / 859 KB;
# WebP q80 463 ms / 942 KB, so JPEG stays JPEG.
JPEG_QUALITY = 80

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
_DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError)


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class Refusal:
    """Why an image is refused: a problem code, its HTTP status and the message's parameters."""

    code: str
    status: int
    params: dict[str, object] = field(default_factory=dict)


UNSUPPORTED = Refusal("photo_type_unsupported", 415)
TOO_LARGE = Refusal("photo_too_large", 413, {"limit_mb": MAX_PHOTO_BYTES // (1024 * 1024)})
TOO_MANY_PIXELS = Refusal("photo_too_many_pixels", 422, {"max_megapixels": MAX_PIXELS // 1_000_000})


def sniff(data: bytes) -> str | None:
    """The image format from the magic bytes: 'JPEG', 'PNG', 'WEBP' or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _fitted(width: int, height: int, side: int) -> tuple[int, int]:
    """(width, height) scaled so that the longest side is at most ``side``."""
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def clean_image(data: bytes, max_side: int = MAX_STORED_SIDE) -> CleanPhoto | Refusal:
    """Validate, downscale and re-encode (blocking, CPU-bound)."""
    if len(data) > MAX_PHOTO_BYTES:
        return TOO_LARGE
    declared = sniff(data)
    if declared is None:
        return UNSUPPORTED
    try:
        # Image.open reads the header only: the dimensions are known before any pixel is decoded.
        with Image.open(io.BytesIO(data), formats=[declared]) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                return TOO_MANY_PIXELS
            if declared == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale when the result still has DRAFT_SHARE of the
                # stored size (what is stored may then be up to 10 % under max_side).
                probe.draft(probe.mode, _fitted(probe.width, probe.height, int(max_side * DRAFT_SHARE)))
            probe.load()
            image: Image.Image = probe
            if max(image.size) > max_side:
                # Downscale before any mode conversion (resize keeps .info, so the EXIF
                # orientation below is still known). Bicubic: half Lanczos' CPU on a 12 MP
                # photo (~130 ms against ~240 ms), no visible difference at this size.
                image = image.resize(_fitted(image.width, image.height, max_side), Image.Resampling.BICUBIC)
            # Apply the EXIF orientation before the EXIF goes, so the photo stays upright.
            image = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError:  # Pillow's own limit (above ours), at open
        return TOO_MANY_PIXELS
    except _DECODE_ERRORS:
        return UNSUPPORTED
    content_type, extension = FORMATS[declared]
    out = io.BytesIO()
    if declared == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY)
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
