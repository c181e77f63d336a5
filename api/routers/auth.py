"""``/auth/token``: log in with a username (or email) and a password, get an access token.

The OAuth2 password flow, in FastAPI's form shape. A wrong password, an
unknown account and a deactivated one all answer the same 401 after the
same work (a dummy hash for unknown accounts). Repeated failures for one
account, or from one client address, get 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.auth.throttle import LoginThrottle
from api.auth.tokens import Tokens
from api.deps import PasswordsDep, StorageDep
from api.errors import responses
from storage.types.text import fold

router = APIRouter(prefix="/auth", tags=["auth"], responses=responses(503))

WRONG = HTTPException(
    status_code=401,
    detail="Incorrect username or password",
    headers={"WWW-Authenticate": "Bearer"},
)
# One address may fail more often than one account: several people can share it.
CLIENT_FACTOR = 4


class Token(BaseModel):
    """An access token for ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    """Seconds until it expires."""


@router.post("/token", responses=responses(401, 429))
async def log_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    storage: StorageDep,
    passwords: PasswordsDep,
) -> Token:
    """Exchange a username or email and a password for an access token."""
    throttle: LoginThrottle = request.app.state.login_throttle
    account_key = f"account:{fold(form.username.strip())}"
    client_key = f"client:{request.client.host if request.client else 'unknown'}"
    wait = max(
        throttle.retry_after(account_key),
        throttle.retry_after(client_key, throttle.max_failures * CLIENT_FACTOR),
    )
    if wait:
        raise HTTPException(
            status_code=429,
            detail=f"Too many failed logins; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    account = await storage.credentials.by_login(form.username)
    stored = account.password_hash if account is not None else None
    if (
        not await passwords.verify(form.password, stored)
        or account is None
        or not account.is_active
    ):
        throttle.failed(account_key)
        throttle.failed(client_key)
        raise WRONG
    throttle.succeeded(account_key)
    tokens: Tokens = request.app.state.tokens
    return Token(access_token=tokens.issue(account), expires_in=tokens.seconds)
