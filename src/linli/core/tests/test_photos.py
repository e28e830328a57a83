"""core.photos: only real images get through, re-encoded as JPEG with no metadata; bombs and fakes are refused."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from linli.core import photos
from linli.core.errors import Problem
from linli.core.i18n import in_language
from linli.core.photos import photo_process, sniff_format

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(size=(400, 300), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    # A distinct block in the top-left corner to check that orientation is applied.
    for x in range(40):
        for y in range(20):
            image.putpixel((x, y), (0, 0, 255))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel X"  # Model
    if orientation:
        exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (31.0, 15.0, 7.0)
    gps[3] = "E"
    gps[4] = (121.0, 23.0, 37.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` (a decompression bomb's disguise)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def open_result(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def test_gps_exif_is_stripped_and_output_is_a_plain_jpeg():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture really has GPS
    upload = SimpleUploadedFile("IMG_0001.jpg", original, content_type="image/jpeg")
    content, width, height, ext = photo_process(upload)
    assert ext == "jpg" and (width, height) == (400, 300)
    result = open_result(content)
    assert result.format == "JPEG" and result.size == (400, 300)
    assert len(result.getexif()) == 0
    assert "exif" not in result.info and "icc_profile" not in result.info and "xmp" not in result.info
    assert b"Exif\x00\x00" not in content and b"PhoneMaker" not in content and b"PhoneModel" not in content


def test_exif_orientation_is_applied_before_stripping():
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise to show it upright.
    content, width, height, _ = photo_process(jpeg_with_gps(size=(400, 300), orientation=6))
    assert (width, height) == (300, 400)
    result = open_result(content).convert("RGB")
    assert len(result.getexif()) == 0
    # The blue block that was top-left is now top-right after the rotation.
    r, g, b = result.getpixel((result.width - 5, 5))
    assert b > 150 and r < 100
    r, g, b = result.getpixel((5, 5))
    assert r > 150 and b < 100


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted_and_become_jpeg(fmt):
    image = Image.new("RGBA", (120, 80), (0, 0, 0, 0))  # fully transparent
    out = io.BytesIO()
    image.save(out, format=fmt)
    content, width, height, ext = photo_process(SimpleUploadedFile("x.bin", out.getvalue()))
    result = open_result(content)
    assert result.format == "JPEG" and (width, height) == (120, 80) and ext == "jpg"
    assert result.convert("RGB").getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=3)  # white, not black


def test_large_photo_is_scaled_to_2048_on_the_long_side():
    image = Image.new("RGB", (4000, 3000), (10, 120, 10))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=50)
    content, width, height, _ = photo_process(out.getvalue())
    assert (width, height) == (2048, 1536)
    assert open_result(content).size == (2048, 1536)


def test_text_file_named_jpg_is_refused():
    upload = SimpleUploadedFile("photo.jpg", "这不是照片 not a photo\n".encode(), content_type="image/jpeg")
    with pytest.raises(Problem) as info:
        photo_process(upload)
    assert info.value.code == "photo_invalid" and info.value.extra["reason"] == "type"
    zh, en = in_language(info.value.detail, "zh-hans"), in_language(info.value.detail, "en")
    assert zh and en and zh != en


def test_other_image_types_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    with pytest.raises(Problem) as info:
        photo_process(out.getvalue())
    assert info.value.extra["reason"] == "type"


def test_truncated_jpeg_is_refused():
    data = jpeg_with_gps()
    with pytest.raises(Problem) as info:
        photo_process(data[: len(data) // 2])
    assert info.value.code == "photo_invalid" and info.value.extra["reason"] == "unreadable"


def test_empty_file_is_refused():
    with pytest.raises(Problem) as info:
        photo_process(SimpleUploadedFile("a.jpg", b""))
    assert info.value.extra["reason"] == "empty"


def test_oversize_file_is_refused_by_bytes():
    data = jpeg_with_gps()
    with pytest.raises(Problem) as info:
        photo_process(SimpleUploadedFile("a.jpg", data), max_bytes=len(data) - 1)
    assert info.value.code == "photo_invalid" and info.value.extra["reason"] == "too_large"
    # A stream without a size is cut off at max_bytes + 1 too.
    with pytest.raises(Problem) as info:
        photo_process(io.BytesIO(data), max_bytes=1000)
    assert info.value.extra["reason"] == "too_large"
    # Exactly at the limit passes.
    assert photo_process(io.BytesIO(data), max_bytes=len(data)).ext == "jpg"


def test_oversize_image_is_refused_by_pixels():
    image = Image.new("RGB", (300, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    with pytest.raises(Problem) as info:
        photo_process(out.getvalue(), max_pixels=300 * 200 - 1)
    assert info.value.extra["reason"] == "too_many_pixels"
    assert photo_process(out.getvalue(), max_pixels=300 * 200).width == 300


@pytest.mark.parametrize(("width", "height"), [(50_000, 50_000), (7_000, 6_000)])
def test_decompression_bomb_is_refused_without_eating_memory(width, height):
    bomb = png_claiming(width, height)
    assert len(bomb) < 2000
    tracemalloc.start()
    try:
        with pytest.raises(Problem) as info:
            photo_process(SimpleUploadedFile("bomb.png", bomb))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.code == "photo_invalid" and info.value.extra["reason"] == "too_many_pixels"
    assert peak < 5 * 1024 * 1024  # decoding 7000x6000 RGB alone would take 126 MB


def test_sniff_format_uses_content_not_names():
    assert sniff_format(b"\xff\xd8\xff\xe0....") == "JPEG"
    assert sniff_format(b"\x89PNG\r\n\x1a\n....") == "PNG"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "WEBP"
    assert sniff_format(b"\x00\x00\x00\x18ftypheic....") == "HEIF"
    assert sniff_format(b"GIF89a") is None
    assert sniff_format(b"<svg xmlns=") is None


@pytest.mark.skipif(photos.HEIF_SUPPORTED, reason="pillow-heif is installed: HEIC is accepted")
def test_heic_is_refused_with_a_clear_message_without_the_plugin():
    with pytest.raises(Problem) as info:
        photo_process(SimpleUploadedFile("IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64))
    assert info.value.extra["reason"] == "heic_unsupported" and "HEIC" in in_language(info.value.detail, "zh-hans")


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "I;16", "CMYK"])
def test_unusual_colour_modes_become_rgb_jpeg(mode):
    out = io.BytesIO()
    Image.new(mode, (50, 40)).save(out, format="JPEG" if mode == "CMYK" else "PNG")
    content, width, height, _ = photo_process(out.getvalue())
    assert open_result(content).mode == "RGB" and (width, height) == (50, 40)


@pytest.mark.django_db(transaction=True)
def test_a_photo_is_never_decoded_inside_a_transaction():
    """Decoding inside a transaction holds the database's write lock for its CPU time (embedded SQLite refused the
    other writers under a crowd): callers process first, then open the transaction with the result."""
    from django.db import transaction

    with transaction.atomic(), pytest.raises(RuntimeError, match="inside a transaction"):
        photo_process(jpeg_with_gps())
    processed = photo_process(jpeg_with_gps())
    with transaction.atomic():
        assert photo_process(processed) is processed  # already processed: passed through, nothing decoded


def png_16_bit(side: int, color_type: int, sample: int = 0) -> bytes:
    """A PNG of side × side pixels, 16 bits a sample, every sample `sample`: tiny on the wire."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    row = b"\x00" + struct.pack(">H", sample) * (side * channels)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 16, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


@pytest.mark.parametrize("color_type", [6, 2], ids=["rgba16", "rgb16"])
def test_a_small_16_bit_png_of_a_huge_canvas_is_refused_before_decoding(color_type):
    # Issue 13: a 309 KB 16-bit RGBA PNG of 6,300 × 6,300 px grew the server by 466 MB. Decoded it holds 159 MB
    # (RGBA at 8 bits) and its alpha-aware scaling as much again: over the decoding budget, refused from its header.
    hostile = png_16_bit(6300, color_type)
    assert len(hostile) < 320 * 1024
    with pytest.raises(Problem) as info:
        photo_process(SimpleUploadedFile("big.png", hostile))
    assert info.value.code == "photo_invalid" and info.value.extra["reason"] == "too_many_pixels"
    assert "6300×6300" in in_language(info.value.detail, "zh-hans")
    assert "6300" in in_language(info.value.detail, "en")


def test_a_16_bit_grey_png_is_decoded_at_8_bits_and_scaled_down():
    # Grey at 16 bits decodes straight to 8 (the high byte), 40 MB instead of 80 MB plus a 160 MB RGB copy: within
    # the budget, so the same 6,300-px canvas is accepted and scaled, with its greys right (not clipped to white).
    result = photo_process(png_16_bit(6300, 0, sample=0x8000))
    assert (result.width, result.height) == (2048, 2048)
    assert open_result(result.content).convert("L").getpixel((1000, 1000)) == pytest.approx(128, abs=2)


def test_the_decoding_budget_refuses_what_it_cannot_hold_and_a_48_megapixel_jpeg_is_decoded_at_half_scale():
    big = io.BytesIO()
    Image.new("RGB", (8000, 6000), (40, 90, 160)).save(big, format="JPEG", quality=60)
    # 48 megapixels in the header; libjpeg decodes it at 1/2 (4000 × 3000, 48 MB): accepted.
    result = photo_process(big.getvalue())
    assert (result.width, result.height) == (2048, 1536)
    # The same photo with a budget below its half-scale decode is refused, with its dimensions.
    with pytest.raises(Problem) as info:
        photo_process(big.getvalue(), max_decoded_bytes=4000 * 3000 * 4 - 1)
    assert info.value.extra["reason"] == "too_many_pixels" and "8000×6000" in in_language(info.value.detail, "zh-hans")
