"""Profile pictures: their sizes and the URLs that serve them.

A picture is stored once per content (``digest``: the SHA-256 of its encoded
sizes) as a square WebP in each of ``SIZES``; a user names the digest of theirs,
or none for the default picture. URLs are paths from the API's root: a stored
picture's URL never changes meaning (content-addressed, cached for a year), the
default picture's is the same for everyone (cached briefly, so it can change).
"""

from __future__ import annotations

import hashlib
from enum import IntEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from storage.types.schema import Listing


class PictureSize(IntEnum):
    """A size a picture is served in (an enum, so a path's ``64`` validates to it)."""

    SMALL = 64
    MEDIUM = 128
    LARGE = 256


SIZES = tuple(int(size) for size in PictureSize)
"""Pixel widths (and heights) every picture is stored in, smallest first."""
DEFAULT_SIZE = int(PictureSize.LARGE)
"""The size ``image_url`` names; the others are the same URL with another size."""
MEDIA_TYPE = "image/webp"

DIGEST_PATTERN = r"^[0-9a-f]{64}$"
Digest = Annotated[str, Field(pattern=DIGEST_PATTERN, min_length=64, max_length=64)]
"""A picture's content address: lower-case hex SHA-256."""


def picture_url(digest: str | None, size: int = DEFAULT_SIZE) -> str:
    """The path serving the picture ``digest`` at ``size`` px (``None``: the default picture)."""
    if digest is None:
        return f"/pictures/default/{size}"
    return f"/pictures/{digest}/{size}"


class NewPicture(BaseModel):
    """A checked, re-encoded picture ready to store: one square WebP per size.

    ``digest`` is ``digest_of(images)``: the same content always gets the same
    address, so users who upload the same picture share one stored copy.
    """

    model_config = ConfigDict(frozen=True)

    digest: Digest
    images: dict[int, bytes]
    """Size in px -> the WebP bytes of that size, for every size of ``SIZES``."""


def digest_of(images: dict[int, bytes]) -> str:
    """The content address of a picture's encoded sizes (SHA-256, lower-case hex)."""
    hashed = hashlib.sha256()
    for size in SIZES:
        data = images[size]
        hashed.update(f"{size}:{len(data)}:".encode())
        hashed.update(data)
    return hashed.hexdigest()


def column_of(size: int) -> str:
    """The stored field holding the picture at ``size`` px (an SQL column, a document field)."""
    return f"webp_{size}"


PICTURES = Listing(
    resource="pictures",
    filters=(),
    sorts=("id",),
    keys={},
    unique={"digest": None},  # stored once: an upload of a stored picture names it
)
"""Pictures as records (for ``copy``): no list endpoint, no keys; one row per digest."""
