"""The dependencies routes declare to know who is calling.

A bearer token is checked on every request against the account as it is now:
a deleted or deactivated account, a token older than the last password
change (``token_version``), or a token logged out (``POST /auth/logout``, on
any instance when they share ``REDIS_URL``) gets 401 even before it expires.

The check is one dependency, an ``OAuth2PasswordBearer`` that also reads the
account: FastAPI documents it as the OAuth2 scheme (the "Authorize" button of
``/docs``) and solves one dependency per request for it, not three.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Security
from fastapi.security import OAuth2PasswordBearer
from starlette.requests import HTTPConnection

from api.auth.admission import admitted
from api.auth.policy import UNAUTHENTICATED
from storage.protocol import Storage
from storage.types import Credentials


async def account_for(request: HTTPConnection, token: str, storage: Storage) -> Credentials | None:
    """The account ``token`` stands for now, or None if it is not valid now.

    The one rule for bearer tokens and the pages' session cookie alike: a valid
    signature and expiry, not logged out (``api.auth.admission``), an account
    that exists and is active, and the token version of its last password change.
    """
    claims = await admitted(request, token)
    if claims is None:
        return None
    account = await storage.credentials.by_id(claims.user_id)
    if account is None or not account.is_active or account.token_version != claims.token_version:
        return None
    return account


class BearerAccount(OAuth2PasswordBearer):
    """The account of the request's bearer token: None without one, 401 for one not valid now.

    With ``required``, no token is a 401 too.
    """

    def __init__(self, *, required: bool) -> None:
        # The scheme's name is the class FastAPI documents, whichever instance is used.
        super().__init__(
            tokenUrl="/auth/token", scheme_name="OAuth2PasswordBearer", auto_error=False
        )
        self.required = required

    async def __call__(self, request: HTTPConnection) -> Credentials | None:  # type: ignore[override]
        token = await super().__call__(request)
        if token is None:
            if self.required:
                raise UNAUTHENTICATED
            return None
        account = await account_for(request, token, request.app.state.storage)
        if account is None:
            raise UNAUTHENTICATED
        return account


MaybeCaller = Annotated[Credentials | None, Security(BearerAccount(required=False))]
"""Reads: anyone, though a signed-in caller may see more (their own email, their drafts)."""
Caller = Annotated[Credentials, Security(BearerAccount(required=True))]
"""Writes: a valid token is required."""
