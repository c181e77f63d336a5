"""The dependencies routes declare to know who is calling.

A bearer token is checked on every request against the account as it is now:
a deleted or deactivated account, a token older than the last password
change (``token_version``), or a token logged out (``POST /auth/logout``, on
any instance when they share ``REDIS_URL``) gets 401 even before it expires.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.auth.admission import admitted
from api.auth.policy import UNAUTHENTICATED
from api.deps import StorageDep
from storage.protocol import Storage
from storage.types import Credentials

# auto_error=False: a missing token is for the policy to judge (reads are public).
bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


async def account_for(request: Request, token: str, storage: Storage) -> Credentials | None:
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


async def optional_caller(
    request: Request, storage: StorageDep, token: Annotated[str | None, Depends(bearer)]
) -> Credentials | None:
    """The caller's account, None without a token; 401 for a token that is not valid now."""
    if token is None:
        return None
    account = await account_for(request, token, storage)
    if account is None:
        raise UNAUTHENTICATED
    return account


async def required_caller(
    caller: Annotated[Credentials | None, Depends(optional_caller)],
) -> Credentials:
    """The caller's account; 401 without a valid token."""
    if caller is None:
        raise UNAUTHENTICATED
    return caller


MaybeCaller = Annotated[Credentials | None, Depends(optional_caller)]
"""Reads: anyone, though a signed-in caller may see more (their own email)."""
Caller = Annotated[Credentials, Depends(required_caller)]
"""Writes: a valid token is required."""
