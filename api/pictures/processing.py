"""Checking an uploaded picture and re-encoding it: nothing of the upload is stored as sent.

The type is decided by the content, never the file name or the declared
media type: Pillow must recognise the bytes as JPEG, PNG or WebP (and only
those decoders are tried). The image is then decoded in full, so a truncated
or corrupt file is refused rather than stored half-grey; an image declaring
more than ``MAX_PIXELS`` is refused before it is decoded (a decompression
bomb: a few kilobytes that would take gigabytes). The EXIF orientation is
applied, and every square size is encoded afresh as WebP from the pixels
alone: no EXIF (GPS position, camera), ICC or XMP survives, and whatever else
the file carried (a script appended to a JPEG, an HTML polyglot) is not in
the pixels, so it is gone too.

The work is CPU-bound, so it runs in worker threads, at most
``PROCESSING_THREADS`` at a time, and an image's memory is bounded by
``MAX_PIXELS``.
"""

from __future__ import annotations

import asyncio
import io
import os
import weakref

from anyio import CapacityLimiter, to_thread
from PIL import Image, ImageOps, UnidentifiedImageError

from api.pictures import PICTURE_MAX_BYTES
from storage.types.pictures import SIZES, NewPicture, digest_of

MAX_BYTES = PICTURE_MAX_BYTES
"""The default largest upload (the setting ``PICTURE_MAX_BYTES``): 2 MB."""
MAX_PIXELS = 25_000_000
"""The most pixels an upload may declare (5000 x 5000; a 24-megapixel photo passes)."""
ACCEPTED = ("JPEG", "PNG", "WEBP")
"""Pillow's names of the formats an upload may be in."""
PROCESSING_THREADS = max(1, min(2, os.cpu_count() or 1))
"""Pictures decoded at once per process; each may hold ~100 MB at ``MAX_PIXELS``."""
WEBP_QUALITY = 85

NOT_AN_IMAGE = "The picture must be a JPEG, PNG or WebP image; this file is not one"
UNREADABLE = "The picture could not be read: the file is damaged or incomplete"
EMPTY = "The picture file is empty; choose a JPEG, PNG or WebP image"
TOO_MANY_PIXELS = (
    f"The picture is too large in pixels: at most {MAX_PIXELS // 1_000_000} megapixels "
    "(5000 x 5000); scale it down first"
)


class PictureRejected(Exception):
    """An upload that cannot be a picture. ``message`` says why, for the person who sent it.

    ``status`` is the HTTP status the JSON API answers with: 413 for a file
    over the size limit, 422 for the rest.
    """

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def too_large(max_bytes: int) -> str:
    """What a person is told when their file is over ``max_bytes``."""
    return (
        f"The picture is too large: the limit is {max_bytes / 1024 / 1024:g} MB "
        f"({max_bytes} bytes); choose a smaller file"
    )


async def process(upload: bytes, max_bytes: int = MAX_BYTES) -> NewPicture:
    """Check ``upload`` and encode it in every size, off the event loop.

    Raises ``PictureRejected``.
    """
    limiter = _limiter()
    return await to_thread.run_sync(process_blocking, upload, max_bytes, limiter=limiter)


def process_blocking(upload: bytes, max_bytes: int = MAX_BYTES) -> NewPicture:
    """``process`` for code outside an event loop (tools, tests)."""
    if not upload:
        raise PictureRejected(EMPTY)
    if len(upload) > max_bytes:
        raise PictureRejected(too_large(max_bytes), status=413)
    square = _square(_decode(upload))
    images = {size: _encode(square, size) for size in SIZES}
    return NewPicture(digest=digest_of(images), images=images)


def _decode(upload: bytes) -> Image.Image:
    """The upload's pixels, upright, in RGB or RGBA. Raises ``PictureRejected``."""
    try:
        image = Image.open(io.BytesIO(upload), formats=ACCEPTED)
    except Image.DecompressionBombError:
        raise PictureRejected(TOO_MANY_PIXELS) from None
    except Image.DecompressionBombWarning:  # raised when warnings are errors (the tests)
        raise PictureRejected(TOO_MANY_PIXELS) from None
    except UnidentifiedImageError:  # no decoder of ours recognises it
        raise PictureRejected(NOT_AN_IMAGE) from None
    except Exception:  # one did, then failed on it: Pillow raises many kinds for hostile input
        raise PictureRejected(UNREADABLE) from None
    with image:
        if image.format not in ACCEPTED:
            raise PictureRejected(NOT_AN_IMAGE)
        width, height = image.size
        if width < 1 or height < 1 or width * height > MAX_PIXELS:
            raise PictureRejected(TOO_MANY_PIXELS)
        try:
            # A JPEG may decode at a reduced scale (1/2 .. 1/8): far less work, same result.
            image.draft("RGB", (max(SIZES) * 2, max(SIZES) * 2))
            image.load()  # every byte: a truncated file fails here
            upright = ImageOps.exif_transpose(image)
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
            return upright.convert("RGBA" if has_alpha else "RGB")
        except Image.DecompressionBombError:
            raise PictureRejected(TOO_MANY_PIXELS) from None
        except Exception:
            raise PictureRejected(UNREADABLE) from None


def _square(image: Image.Image) -> Image.Image:
    """The largest centred square of ``image``, as a new image with no metadata at all."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    cropped = image.crop((left, top, left + side, top + side))
    # Built from the pixels alone: ``info`` (EXIF, ICC, XMP, comments) stays behind.
    return Image.frombytes(cropped.mode, cropped.size, cropped.tobytes())


def _encode(square: Image.Image, size: int) -> bytes:
    """``square`` scaled to ``size`` px as WebP, without EXIF, ICC or XMP."""
    scaled = square.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    scaled.save(out, "WEBP", quality=WEBP_QUALITY, method=4, exif=b"", icc_profile=None, xmp=b"")
    return out.getvalue()


_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter() -> CapacityLimiter:
    # One per event loop: a limiter belongs to the loop it was made in.
    loop = asyncio.get_running_loop()
    limiter = _LIMITERS.get(loop)
    if limiter is None:
        limiter = _LIMITERS[loop] = CapacityLimiter(PROCESSING_THREADS)
    return limiter
