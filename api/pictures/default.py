"""The default picture: a neutral silhouette, drawn once per process in every size."""

from __future__ import annotations

import functools
import hashlib
import io

from PIL import Image, ImageDraw

from storage.types.pictures import SIZES

_CANVAS = 512  # drawn large, then scaled down: smooth edges at every size
_BACKGROUND = (222, 226, 230)
_FIGURE = (134, 142, 150)


@functools.cache
def default_picture(size: int) -> bytes:
    """The default picture, ``size`` px square, as WebP. ``size`` is one of ``SIZES``."""
    if size not in SIZES:
        raise ValueError(f"no default picture of {size} px")
    image = Image.new("RGB", (_CANVAS, _CANVAS), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.ellipse((176, 96, 336, 256), fill=_FIGURE)  # head
    draw.ellipse((96, 288, 416, 608), fill=_FIGURE)  # shoulders, cut by the frame
    out = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(out, "WEBP", quality=85)
    return out.getvalue()


def default_etag(size: int) -> str:
    """The ETag of the default picture at ``size``: changes whenever its bytes do."""
    return '"default-' + hashlib.sha256(default_picture(size)).hexdigest()[:16] + '"'
