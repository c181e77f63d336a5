"""Profile pictures: upload and remove one's own, and the images themselves.

``PUT /users/{id}/picture`` takes a multipart form whose file field is
``picture`` (``api.pictures.service`` checks and re-encodes it);
``DELETE /users/{id}/picture`` goes back to the default. Both answer the user.

A stored picture's URL names its content (``/pictures/{digest}/{size}``), so
its bytes never change: cached for a year, ``immutable``. The default picture
(``/pictures/default/{size}``) is one URL for everyone that a new release may
redraw: cached for a day. Both carry an ``ETag``; ``If-None-Match`` naming it
gets 304 without a body.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import File, HTTPException, Path, Request, Response, UploadFile

from api.auth.caller import Caller
from api.auth.policy import Action, authorize
from api.conditional import tagged
from api.deps import StorageDep
from api.errors import ErrorBody, responses
from api.limits import Allowance
from api.pictures.default import default_etag, default_picture
from api.pictures.processing import too_large
from api.pictures.service import remove_picture, replace_picture
from api.routers.params import ResourceId
from api.routing import Router
from api.strict_route import StrictRoute
from storage.messages import PICTURE_NOT_FOUND
from storage.types import User
from storage.types.pictures import DIGEST_PATTERN, MEDIA_TYPE, SIZES

router = Router(route_class=StrictRoute)

IMMUTABLE = "public, max-age=31536000, immutable"
DEFAULT_CACHE = "public, max-age=86400"
MULTIPART_OVERHEAD = 64 * 1024
"""What a multipart body may add to the file it carries (boundaries, part headers)."""
UPLOAD_PATH = re.compile(r"/users/[^/]+/picture")

SIZE_TEXT = ", ".join(map(str, SIZES))
NO_SUCH_SIZE = f"No picture of that size: the sizes are {SIZE_TEXT}"

Size = Annotated[int, Path(description=f"Width and height in pixels: one of {SIZE_TEXT}.")]
DigestPath = Annotated[
    str,
    Path(
        max_length=200,
        description="The picture's content address, as `image_url` names it (64 hex digits).",
    ),
]

WEBP: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The picture: a square WebP image",
        "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}
REJECTED: dict[int | str, dict[str, Any]] = {
    413: {"description": "The file is over PICTURE_MAX_BYTES", "model": ErrorBody},
    400: {"description": "The body is not a well-formed multipart form", "model": ErrorBody},
}


def upload_allowance(
    picture_max_bytes: int, method: str = "PUT", path: re.Pattern[str] = UPLOAD_PATH
) -> Allowance:
    """The body limit of a picture upload route: the file's limit plus the multipart framing.

    By default this API's ``PUT /users/{id}/picture``; a page's upload form
    names its own ``method`` and ``path`` (``BodySizeLimit`` in ``api.main``).
    """
    return Allowance(
        method=method,
        path=path,
        max_bytes=picture_max_bytes + MULTIPART_OVERHEAD,
        message=too_large(picture_max_bytes),
    )


@router.put(
    "/users/{user_id}/picture",
    tags=["users"],
    responses={**responses(401, 403, 404, 503), **REJECTED},
)
async def set_picture(
    user_id: ResourceId,
    picture: Annotated[
        UploadFile,
        File(description="A JPEG, PNG or WebP image, at most PICTURE_MAX_BYTES (2 MB)."),
    ],
    storage: StorageDep,
    caller: Caller,
    request: Request,
    response: Response,
) -> User:
    """Set a user's picture (oneself, or anyone for admins); the user, with its new `image_url`.

    A 422 says why the file is not taken in `detail[0].msg` (`loc`:
    `["body", "picture"]`): not a JPEG, PNG or WebP image, damaged or
    incomplete, or over 25 megapixels; or the form has no `picture` file.
    The type is decided by the content (not the file name or its media type);
    the image is cropped to a centred square, stored in every size as WebP, and
    nothing else of the file (EXIF with GPS, ICC, comments) is kept. Users who
    upload the same picture share one stored copy; a picture nobody uses any
    more is deleted.
    """
    authorize(caller, Action.CHANGE_PICTURE, owner=user_id)
    max_bytes: int = request.app.state.settings.picture_max_bytes
    upload = await picture.read(max_bytes + 1)
    return tagged(await replace_picture(storage, user_id, upload, max_bytes), response)


@router.delete("/users/{user_id}/picture", tags=["users"], responses=responses(401, 403, 404, 503))
async def delete_picture(
    user_id: ResourceId, storage: StorageDep, caller: Caller, response: Response
) -> User:
    """Give a user the default picture again (oneself, or anyone for admins); the user."""
    authorize(caller, Action.CHANGE_PICTURE, owner=user_id)
    return tagged(await remove_picture(storage, user_id), response)


@router.get(
    "/pictures/default/{size}",
    tags=["pictures"],
    response_class=Response,
    responses={**WEBP, **responses(304, 404)},
)
async def get_default_picture(size: Size) -> Response:
    """The picture of users who have not set one (cached for a day)."""
    if size not in SIZES:
        raise HTTPException(status_code=404, detail=NO_SUCH_SIZE)
    body, etag = default_picture(size), default_etag(size)
    return picture_response(body, etag, DEFAULT_CACHE)


@router.get(
    "/pictures/{digest}/{size}",
    tags=["pictures"],
    response_class=Response,
    responses={**WEBP, **responses(304, 404, 503)},
)
async def get_picture(digest: DigestPath, size: Size, storage: StorageDep) -> Response:
    """A stored picture at one size (its URL is the user's `image_url`; cached for a year)."""
    if size not in SIZES:
        raise HTTPException(status_code=404, detail=NO_SUCH_SIZE)
    if not re.fullmatch(DIGEST_PATTERN, digest):
        raise HTTPException(status_code=404, detail=PICTURE_NOT_FOUND)
    body = await storage.pictures.image(digest, size)
    return picture_response(body, f'"{digest}"', IMMUTABLE)


def picture_response(body: bytes, etag: str, cache: str) -> Response:
    """The picture's bytes with its caching headers (a current copy: 304 by ``api.edge``)."""
    headers = {"ETag": etag, "Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    return Response(body, media_type=MEDIA_TYPE, headers=headers)
