"""Whether a request's token is still good, asked once per request; and the caller's reads.

``admitted`` is the one check of a token's signature, expiry and log-out
(``api.shared.state.SharedState``). It remembers its answer in the request's
scope, so a request that asks twice (its store read, then its caller) pays
once: at most one Redis round trip per request.

``track_caller`` is what makes a signed-in caller read its own writes when
reads may come from replicas: called before a request's first read (by
``api.deps.get_storage``, only when the store's reads can lag), it admits the
request's token, if any, which sets the request's ``storage.consistency``
context from the caller's last commit position. Routes that never ask who is
calling (``GET /posts/{id}``) read their author's writes all the same.
"""

from __future__ import annotations

from fastapi import Request

from api.auth.tokens import SESSION_COOKIE, Claims, Tokens
from api.shared.state import SharedState

_SCOPE_KEY = "admitted_tokens"


async def admitted(request: Request, token: str) -> Claims | None:
    """The claims of ``token`` if it is valid and not logged out now; None otherwise."""
    seen: dict[str, Claims | None] = request.scope.setdefault(_SCOPE_KEY, {})
    if token in seen:
        return seen[token]
    state = request.app.state
    tokens: Tokens = state.tokens
    shared: SharedState = state.shared
    claims = tokens.verify(token)
    if claims is not None:
        if shared.round_trips:
            ok = await shared.admit(claims.token_id, claims.user_id)
        else:
            ok = shared.admit_here(claims.token_id)
        if not ok:
            claims = None
    seen[token] = claims
    return claims


async def track_caller(request: Request) -> None:
    """Admit the request's bearer token (or else its session cookie), if it has one."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else request.cookies.get(SESSION_COOKIE)
    if token:
        await admitted(request, token)
