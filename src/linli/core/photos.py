"""Uploaded photos made safe to keep: type checked by content, size and pixel count bounded, orientation
applied, re-encoded as a plain JPEG without any metadata (no EXIF, no GPS, no XMP, no ICC profile).

Used by inspections (meals) and later by hazard reports. A phone photo carries where and when it was taken and
the phone's make; none of that is needed to show a dirty floor, so none of it is kept (PIPL: collect the minimum).

    content, width, height, ext = photo_process(request.FILES["photo"])

Failures raise `Problem("photo_invalid")` with a message in Chinese and English; nothing is written.

Decoding and re-encoding take 0.1–0.5 s of CPU for a phone photo: process photos before opening the transaction
that stores them (inside one, that time holds the database's write lock and every other writer waits; SQLite
then refused bookings and orders under a crowd). `photo_process` raises RuntimeError when called inside a
transaction; it passes a `ProcessedPhoto` through unchanged, so a view can process first and hand the results to
a service that also accepts raw uploads.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import os
import threading
import warnings
from collections.abc import Iterator
from typing import IO, Any, NamedTuple

from django.db import connection
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, UnidentifiedImageError

from linli.core.errors import Problem
from linli.core.i18n import Text

MAX_BYTES = 10 * 1024 * 1024
# The canvas a photo may claim in its header. A JPEG is decoded at 1/2, 1/4 or 1/8 of it (libjpeg's draft mode)
# and a 48-megapixel phone photo is normal; other formats are decoded in full and meet MAX_DECODED_BYTES first.
MAX_PIXELS = 100_000_000
# The pixels one photo may hold in memory while it is decoded and scaled (Pillow's own layout, e.g. 4 bytes per
# RGB pixel, plus the full-size copies a conversion or an alpha-aware resize needs). A request's photos are
# decoded one after the other, so this bounds the decoding memory of a request: 64 MiB is a 12-megapixel JPEG
# decoded in full, or a 16-megapixel RGB / 8-megapixel RGBA PNG. The 2,048-px result adds a fixed amount.
MAX_DECODED_BYTES = 64 * 1024 * 1024
MAX_SIDE = 2048
JPEG_QUALITY = 85
# Every Image.open in the process refuses a canvas above twice this (and warns above it): no image the platform
# accepts is larger.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Photos decoded at once in one process: decoding is CPU work (Pillow releases the GIL), so more at once than
# there are cores only adds memory. 30 reports arriving together then hold 2-4 budgets, not 30.
DECODE_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))

try:  # HEIC/HEIF (iPhones) only when the optional pillow-heif plugin is installed.
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the environment
    HEIF_SUPPORTED = False

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}


class ProcessedPhoto(NamedTuple):
    content: bytes
    width: int
    height: int
    ext: str


def _invalid(detail: Text, **extra: Any) -> Problem:
    return Problem("photo_invalid", detail=detail, extra=extra)


def sniff_format(head: bytes) -> str | None:
    """The image format by its first bytes (the file name and the browser's content type are not trusted)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def _read_bounded(upload: Any, max_bytes: int) -> bytes:
    """At most `max_bytes` + 1 bytes of the upload (bytes, a file object or a Django UploadedFile)."""
    if isinstance(upload, bytes | bytearray | memoryview):
        return bytes(upload[: max_bytes + 1])
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > max_bytes:
        raise _too_big(max_bytes)
    stream: IO[bytes] = upload
    if hasattr(stream, "seek"):
        with contextlib.suppress(OSError, ValueError):
            stream.seek(0)
    data = stream.read(max_bytes + 1)
    return data if isinstance(data, bytes) else bytes(data or b"")


def _too_big(max_bytes: int) -> Problem:
    mb = max_bytes / (1024 * 1024)
    return _invalid(format_lazy(_("照片太大，请选择不超过 {mb} MB 的照片"), mb=f"{mb:g}"), reason="too_large")


def photo_process(
    upload: Any,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_decoded_bytes: int = MAX_DECODED_BYTES,
    max_side: int = MAX_SIDE,
    quality: int = JPEG_QUALITY,
) -> ProcessedPhoto:
    """Validate an uploaded photo and return it re-encoded: (JPEG bytes, width, height, "jpg").

    Memory is bounded before any pixel is decoded: the dimensions are read from the header and checked against
    `max_pixels`; a JPEG is set to decode at the smallest 1/2–1/8 scale that still covers the result's size; a
    16-bit PNG is decoded straight to 8 bits; and what the decoding will hold (`_decoding_bytes`) must fit in
    `max_decoded_bytes`. A small file claiming a huge canvas (a decompression bomb) is refused without using
    memory (`too_many_pixels`, with its dimensions)."""
    if isinstance(upload, ProcessedPhoto):
        return upload
    _outside_transactions()
    data = _read_bounded(upload, max_bytes)
    if len(data) > max_bytes:
        raise _too_big(max_bytes)
    if not data:
        raise _invalid(_("照片是空文件"), reason="empty")
    fmt = sniff_format(data[:16])
    if fmt is None:
        raise _invalid(_("只能上传 JPEG、PNG 或 WebP 格式的照片"), reason="type")
    if fmt == "HEIF" and not HEIF_SUPPORTED:
        raise _invalid(
            _("暂不支持 HEIC 格式，请在相机设置中选择“兼容性最佳”或上传 JPEG"),
            reason="heic_unsupported",
        )
    try:
        with DECODE_SLOTS, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=None if fmt == "HEIF" else [fmt])
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > max_pixels:
                raise _too_many_pixels(width, height)
            target = _fit(width, height, max_side)
            image.seek(0)  # the first frame of an animated PNG/WebP (before draft: seeking resets the decoder)
            if image.format in ("JPEG", "MPO"):
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale while the result still covers the target size:
                # a 48-megapixel photo is then never decoded in full.
                image.draft("RGB", target)
            _decode_16_bit_as_8(image)
            if _decoding_bytes(image) > max_decoded_bytes:
                raise _too_many_pixels(width, height)
            image.load()
            orientation = _orientation(image)
            image = _scalable(image)
            if image.size != target and (image.width > target[0] or image.height > target[1]):
                # Scaled before the conversion to RGB, so no full-size RGB copy is made. Bilinear with Pillow's
                # antialiasing support: for a phone photo scaled by 1-2x it looks the same as Lanczos at less
                # than half the CPU (the resize was the dearest step of a report).
                image = image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
            image = _to_rgb(image)
            if orientation in _TRANSPOSE:
                image = image.transpose(_TRANSPOSE[orientation])  # after scaling: fewer pixels to move
            clean = Image.new("RGB", image.size)
            clean.paste(image)  # a fresh image: nothing of the original's info (exif, icc, xmp) comes along
            out = io.BytesIO()
            # Huffman-optimised baseline JPEG: progressive encoding tripled the encode time for ~6 % smaller files.
            clean.save(out, format="JPEG", quality=quality, optimize=True)
    except Problem:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _invalid(_("照片像素过多，请缩小后再上传"), reason="too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise _invalid(_("照片文件已损坏或无法识别"), reason="unreadable") from exc
    return ProcessedPhoto(out.getvalue(), clean.width, clean.height, "jpg")


_decoding_in_transaction = contextvars.ContextVar("decoding_in_transaction", default=False)


@contextlib.contextmanager
def decoding_in_transaction_allowed() -> Iterator[None]:
    """For a batch loader that writes everything in one transaction with nobody else waiting (the demo):
    photo_process may run inside it."""
    token = _decoding_in_transaction.set(True)
    try:
        yield
    finally:
        _decoding_in_transaction.reset(token)


def _outside_transactions() -> None:
    """Refuse to decode inside a transaction (a test case's own wrapping transaction does not count)."""
    if (
        connection.in_atomic_block
        and not _decoding_in_transaction.get()
        and any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)
    ):
        raise RuntimeError("photo_process() inside a transaction: process the photo first, then open it")


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _too_many_pixels(width: int, height: int) -> Problem:
    return _invalid(
        format_lazy(_("照片像素过多（{width}×{height}），请缩小后再上传"), width=width, height=height),
        reason="too_many_pixels",
    )


def _decode_16_bit_as_8(image: Image.Image) -> None:
    """A 16-bit greyscale PNG (Pillow's "I;16", 2 bytes a pixel, then a 4-byte RGB copy) is decoded straight to
    8-bit "L" from the high bytes. (16-bit RGB and RGBA PNGs are already decoded to 8 bits by Pillow.)"""
    if not isinstance(image, ImageFile.ImageFile) or image.format != "PNG" or image.mode != "I;16":
        return
    if len(image.tile) == 1 and image.tile[0].args == "I;16B":
        image._mode = "L"
        image.tile = [image.tile[0]._replace(args="L;16B")]


# Bytes per pixel while decoding and scaling, by the decoded mode: Pillow's storage (1 byte for "1", "L", "P";
# 2 for "I;16"; 4 for RGB and the other multi-band modes), plus the full-size copy a mode needs before or during
# scaling: an alpha-aware resize premultiplies RGBA/LA into a copy; "P" becomes RGB or RGBA first, "1" becomes
# "L", the rare others RGB.
_DECODING_BYTES_PER_PIXEL = {"1": 2, "L": 1, "RGB": 4, "CMYK": 4, "YCbCr": 4, "LA": 8, "RGBA": 8, "I;16": 6}


def _decoding_bytes(image: Image.Image) -> int:
    """What decoding `image` at its (drafted) size and scaling it will hold in memory, at most."""
    per_pixel = _DECODING_BYTES_PER_PIXEL.get(image.mode, 12)
    if image.mode == "P":
        per_pixel = 9 if "transparency" in image.info else 5
    return image.width * image.height * per_pixel


def _scalable(image: Image.Image) -> Image.Image:
    """`image` in a mode Pillow scales smoothly: palette images become RGB or RGBA, 1-bit ones "L", and the rare
    others (32-bit greys) RGB as before."""
    if image.mode in ("L", "LA", "RGB", "RGBA", "CMYK", "YCbCr"):
        return image
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode == "PA":
        return image.convert("RGBA")
    return image.convert("L" if image.mode == "1" else "RGB")


def _fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(width, height) scaled to at most `max_side` on the long side, aspect kept (as Image.thumbnail does)."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation tag (1 = as stored) of the opened image."""
    try:
        value = image.getexif().get(0x0112, 1)
        return int(value) if value is not None else 1
    except (TypeError, ValueError, OSError, SyntaxError):
        return 1


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG; transparent areas become white rather than black."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
