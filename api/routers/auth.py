"""``/auth/token``: log in with a username (or email) and a password, get an access token.

``/auth/logout``: the token sent stops working at once, on every instance
that shares ``REDIS_URL`` (on this one only without it), until it would have
expired anyway.

The OAuth2 password flow, in FastAPI's form shape. The check itself
(``api.auth.login``) is shared with the pages' log-in form: a wrong password,
an unknown account and a deactivated one all answer the same 401 after the
same work, and repeated failures get 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.auth.admission import bearer_token
from api.auth.caller import Caller
from api.auth.login import check_login
from api.auth.tokens import Tokens
from api.deps import PasswordsDep, StorageDep
from api.errors import responses
from api.routing import Router
from api.strict_route import StrictRoute

router = Router(prefix="/auth", tags=["auth"], responses=responses(503))


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
    account = await check_login(request, storage, passwords, form.username, form.password)
    tokens: Tokens = request.app.state.tokens
    return Token(access_token=tokens.issue(account), expires_in=tokens.seconds)


async def log_out(request: Request, caller: Caller) -> Response:
    """End this token's session: it gets 401 from now on, on every instance."""
    tokens: Tokens = request.app.state.tokens
    claims = tokens.verify(bearer_token(request) or "")
    assert claims is not None  # ``Caller`` admitted it
    await request.app.state.shared.revoke(claims.token_id, claims.expires_at)
    return Response(status_code=204)


# A JSON route like every other (the login form above is OAuth2's form-encoded one).
router.add_api_route(
    "/logout",
    log_out,
    methods=["POST"],
    status_code=204,
    responses=responses(401),
    route_class_override=StrictRoute,
)
