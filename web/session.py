"""The pages' session: the API's own access token (JWT), kept in a cookie.

The cookie is HTTP-only, SameSite=Lax, Secure when the request came over
HTTPS, and lives as long as the token. Whether it is valid is decided by the
same rule as a bearer token (``api.auth.caller.account_for``): a deactivated
account or a password change ends the session. Only the pages read it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from api.auth.caller import account_for
from api.auth.tokens import SESSION_COOKIE as SESSION_COOKIE
from api.auth.tokens import Tokens
from api.deps import StorageDep
from storage.types import Credentials


def secure(request: Request) -> bool:
    """Whether cookies must be Secure: the request came over HTTPS."""
    return request.url.scheme == "https"


async def page_caller(request: Request, storage: StorageDep) -> Credentials | None:
    """The signed-in account of this browser, or None (no cookie, or not valid now)."""
    token = request.cookies.get(SESSION_COOKIE)
    account = None
    if token:
        account = await account_for(request, token, storage)
    request.state.caller = account
    return account


PageCaller = Annotated[Credentials | None, Depends(page_caller)]
"""Who is signed in, for every page (None: nobody); the policy decides what they may do."""


def start_session(request: Request, response: Response, account: Credentials) -> None:
    """Sign ``account`` in: a fresh token in the session cookie."""
    tokens: Tokens = request.app.state.tokens
    response.set_cookie(
        SESSION_COOKIE,
        tokens.issue(account),
        max_age=tokens.seconds,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )


async def end_session(request: Request, response: Response) -> None:
    """Sign out: the token is logged out (on every instance) and the browser forgets the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    claims = request.app.state.tokens.verify(token) if token else None
    if claims is not None:
        await request.app.state.shared.revoke(claims.token_id, claims.expires_at)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=secure(request), path="/"
    )
