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

from starlette.requests import HTTPConnection

from api.auth.tokens import SESSION_COOKIE, Claims, Tokens

_SCOPE_KEY = "admitted_tokens"


async def admitted(request: HTTPConnection, token: str) -> Claims | None:
    """The claims of ``token`` if it is valid and not logged out now; None otherwise."""
    tokens: Tokens = request.app.state.tokens
    shared = tokens.shared
    if shared is None:  # no Redis, no replicas: the signature and this process's log-outs
        return tokens.verify(token)
    seen: dict[str, Claims | None] = request.scope.setdefault(_SCOPE_KEY, {})
    if token in seen:
        return seen[token]
    claims = tokens.verify(token)  # refuses ids logged out in this process
    if claims is not None and not await shared.admit(claims.token_id, claims.user_id):
        claims = None
    seen[token] = claims
    return claims


def bearer_token(request: HTTPConnection) -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, if any."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def track_caller(request: HTTPConnection) -> None:
    """Admit the request's bearer token (or else its session cookie), if it has one."""
    token = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    if token:
        await admitted(request, token)
