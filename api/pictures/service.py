"""Setting and removing a user's picture: what the JSON API and the HTML pages both call.

Callers decide who may (``api.auth.policy``, ``Action.CHANGE_PICTURE``);
these functions check the upload and store it. ``max_bytes`` is
``Settings.picture_max_bytes`` (``PICTURE_MAX_BYTES``); its default is the
setting's default.
"""

from __future__ import annotations

from api.pictures.processing import MAX_BYTES, process
from storage.protocol import Storage
from storage.types import User


async def replace_picture(
    storage: Storage, user_id: int, upload: bytes, max_bytes: int = MAX_BYTES
) -> User:
    """Make the image in ``upload`` (the file's bytes) the user's picture; the user after.

    Raises ``api.pictures.processing.PictureRejected`` (``.message`` says why,
    for the person) before anything is stored; ``NotFound`` for no such user.
    The picture the user had before is deleted unless another user has it.
    """
    picture = await process(upload, max_bytes)
    return await storage.pictures.set(user_id, picture)


async def remove_picture(storage: Storage, user_id: int) -> User:
    """Give the user the default picture again; the user after. Raises ``NotFound``."""
    return await storage.pictures.remove(user_id)
