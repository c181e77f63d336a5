"""The image work behind uploads, without a server: formats and modes an upload may have.

What every backend must answer is in ``test_pictures.py``; this is what
Pillow sees: colour modes, transparency, animation, odd shapes and hostile
chunks, each either re-encoded to clean squares or refused with a message.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image

from api.pictures.processing import (
    TOO_MANY_PIXELS,
    UNREADABLE,
    PictureRejected,
    process,
    process_blocking,
)
from storage.types.pictures import SIZES, digest_of


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def squares(upload: bytes) -> dict[int, Image.Image]:
    """The processed sizes, decoded, each checked to be a clean WebP square."""
    picture = process_blocking(upload)
    assert picture.digest == digest_of(picture.images)
    found = {}
    for size, data in picture.images.items():
        image = Image.open(io.BytesIO(data))
        image.load()
        assert image.format == "WEBP" and image.size == (size, size)
        assert not image.getexif() and not {"exif", "icc_profile", "xmp"} & set(image.info)
        found[size] = image
    assert sorted(found) == list(SIZES)
    return found


@pytest.mark.parametrize(
    ("image", "fmt"),
    [
        pytest.param(Image.new("CMYK", (90, 60), (0, 255, 255, 0)), "JPEG", id="cmyk-jpeg"),
        pytest.param(Image.new("L", (60, 90), 128), "JPEG", id="grey-jpeg"),
        pytest.param(Image.new("I;16", (50, 50), 40000), "PNG", id="16-bit-png"),
        pytest.param(Image.new("1", (33, 77), 1), "PNG", id="1-bit-png"),
        pytest.param(Image.new("RGB", (1, 1), (9, 9, 9)), "PNG", id="one-pixel"),
        pytest.param(Image.new("RGB", (4000, 1), (9, 9, 9)), "WEBP", id="a-line"),
    ],
)
def test_any_colour_mode_or_shape_becomes_squares(image: Image.Image, fmt: str) -> None:
    squares(encoded(image, fmt))


def test_transparency_is_kept() -> None:
    clear = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
    clear.paste((255, 0, 0, 255), (30, 30, 50, 50))
    for fmt in ("PNG", "WEBP"):
        image = squares(encoded(clear, fmt))[64]
        assert image.mode == "RGBA" and image.getpixel((1, 1))[3] == 0  # type: ignore[index]
    palette = Image.new("P", (40, 40), 0)
    palette.info["transparency"] = 0
    assert squares(encoded(palette, "PNG", transparency=0))[64].mode == "RGBA"


def test_an_animation_keeps_its_first_frame() -> None:
    frames = [Image.new("RGB", (50, 50), colour) for colour in ("red", "blue", "green")]
    animated = encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)
    first = squares(animated)[64].convert("RGB")
    red, green, blue = first.getpixel((32, 32))  # type: ignore[misc]
    assert red > 200 and green < 50 and blue < 50


def test_the_same_upload_gets_the_same_digest() -> None:
    upload = encoded(Image.linear_gradient("L").convert("RGB"), "JPEG")
    assert process_blocking(upload).digest == process_blocking(upload).digest
    other = encoded(Image.linear_gradient("L").rotate(90).convert("RGB"), "JPEG")
    assert process_blocking(other).digest != process_blocking(upload).digest


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_a_compressed_text_bomb_in_a_png_is_refused() -> None:
    png = encoded(Image.new("RGB", (8, 8)), "PNG")
    # 64 MB of text in a zTXt chunk of ~64 kB: Pillow stops at its own text limit.
    bomb = _chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"A" * 64 * 1024 * 1024, 9))
    with pytest.raises(PictureRejected) as rejected:
        process_blocking(png[:33] + bomb + png[33:])
    assert rejected.value.message == UNREADABLE


def test_a_webp_declaring_a_huge_canvas_is_refused() -> None:
    # VP8X's canvas size: 24-bit width-1 and height-1 at bytes 24..29.
    small = encoded(Image.new("RGBA", (4, 4), (1, 2, 3, 4)), "WEBP", quality=80)
    assert small[12:16] == b"VP8X"
    huge = small[:24] + (16000 - 1).to_bytes(3, "little") + (16000 - 1).to_bytes(3, "little")
    with pytest.raises(PictureRejected) as rejected:
        process_blocking(huge + small[30:])
    assert rejected.value.message == TOO_MANY_PIXELS


@pytest.mark.anyio
async def test_processing_runs_off_the_event_loop() -> None:
    upload = encoded(Image.new("RGB", (30, 30), "navy"), "PNG")
    picture = await process(upload)
    assert picture == process_blocking(upload)
    with pytest.raises(PictureRejected, match="JPEG, PNG or WebP"):
        await process(b"GIF89a")
