"""``/pictures``: profile pictures as WebP, with caching headers.

A stored picture's URL names its content (``/pictures/{digest}/{size}``), so
its bytes never change: cached for a year, ``immutable``. The default picture
(``/pictures/default/{size}``) is one URL for everyone that a new release may
redraw: cached for a day. Both carry an ``ETag``; ``If-None-Match`` naming it
gets 304 without a body.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from api.conditional import IfNoneMatch
from api.errors import responses
from api.pictures.default import default_etag, default_picture
from api.strict_route import StrictRoute
from storage.types.pictures import MEDIA_TYPE, PictureSize

router = APIRouter(prefix="/pictures", tags=["pictures"], route_class=StrictRoute)

IMMUTABLE = "public, max-age=31536000, immutable"
DEFAULT_CACHE = "public, max-age=86400"

Size = Annotated[PictureSize, Path(description="Width and height in pixels: 64, 128 or 256.")]

WEBP: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The picture, a square WebP image",
        "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


def picture_response(body: bytes, etag: str, cache: str, if_none_match: str | None) -> Response:
    """The picture's bytes with its caching headers, or 304 if the client's copy is current."""
    headers = {"ETag": etag, "Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    if if_none_match is not None and _names(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


def _names(header: str, etag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" names "x" too.
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


@router.get(
    "/default/{size}",
    response_class=Response,
    responses={**WEBP, **responses(304)},
)
async def get_default_picture(size: Size, if_none_match: IfNoneMatch = None) -> Response:
    """The picture of users who have not set one (cached for a day)."""
    body, etag = default_picture(size), default_etag(size)
    return picture_response(body, etag, DEFAULT_CACHE, if_none_match)
