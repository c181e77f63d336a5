"""One's picture from the profile page: upload (multipart) and remove.

The same service functions as ``PUT``/``DELETE /users/{id}/picture``
(``api.pictures.service``) and the same rule (``Action.CHANGE_PICTURE``); a
rejected file is a form error on the profile page, never a 500.
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from api.auth.policy import Action, authorize
from api.deps import StorageDep
from api.limits import Allowance
from api.pictures.processing import PictureRejected, too_large
from api.pictures.service import remove_picture, replace_picture
from api.routers.pictures import MULTIPART_OVERHEAD
from api.routing import Router
from web import csrf
from web.rendering import pages_of, render
from web.session import PageCaller

router = Router(include_in_schema=False)
UPLOAD_PATH = "/account/picture"
CHOOSE = "Choose a JPEG, PNG or WebP image to upload"


def upload_allowance(picture_max_bytes: int) -> Allowance:
    """The body limit of the picture form: the file's limit plus the multipart framing."""
    return Allowance(
        method="POST",
        path=re.compile(re.escape(UPLOAD_PATH)),
        max_bytes=picture_max_bytes + MULTIPART_OVERHEAD,
        message=too_large(picture_max_bytes),
    )


@router.post(UPLOAD_PATH)
async def upload_picture(request: Request, storage: StorageDep, caller: PageCaller) -> Response:
    """Make the uploaded image the caller's picture; back to the profile."""
    account = authorize(caller, Action.CHANGE_PICTURE, owner=caller.id if caller else None)
    max_bytes: int = request.app.state.settings.picture_max_bytes
    async with request.form(max_files=1, max_fields=10) as form:
        csrf.check(request, form, pages_of(request).csrf_key)
        upload = form.get("picture")
        error = CHOOSE
        if isinstance(upload, UploadFile) and upload.filename:
            try:
                await replace_picture(
                    storage, account.id, await upload.read(max_bytes + 1), max_bytes
                )
                return RedirectResponse("/account", status_code=303)
            except PictureRejected as exc:
                error = exc.message
    user = await storage.users.get(account.id)
    values = user.model_dump()
    return render(request, "account.html", 422, user=user, values=values, errors={"picture": error})


@router.post(f"{UPLOAD_PATH}/remove")
async def remove(request: Request, storage: StorageDep, caller: PageCaller) -> Response:
    """Go back to the default picture."""
    account = authorize(caller, Action.CHANGE_PICTURE, owner=caller.id if caller else None)
    async with request.form(max_files=0) as form:
        csrf.check(request, form, pages_of(request).csrf_key)
    await remove_picture(storage, account.id)
    return RedirectResponse("/account", status_code=303)
