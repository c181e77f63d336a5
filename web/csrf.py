"""CSRF protection: a signed double-submit token in every form.

The browser holds a random nonce in an HTTP-only cookie (``csrf``); every form
carries ``HMAC(key, nonce | session cookie)``. A cross-site page can make the
browser send the cookies but can neither read them nor compute the token, and
the token is tied to the session it was rendered for. The comparison is in
constant time. A failed check is a 403 page (``CsrfFailed``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from fastapi import Request, Response
from starlette.datastructures import FormData

from web.session import SESSION_COOKIE, secure

COOKIE = "csrf"
FIELD = "csrf_token"
_NONCE = re.compile(r"[A-Za-z0-9_-]{32,64}")


class CsrfFailed(Exception):
    """A form without the token this browser's session should send."""


def _nonce(request: Request) -> str:
    """The browser's nonce, or a new one (kept on the request until the response sets it)."""
    given = request.cookies.get(COOKIE, "")
    if _NONCE.fullmatch(given):
        return given
    if not hasattr(request.state, "csrf_nonce"):
        request.state.csrf_nonce = secrets.token_urlsafe(32)
    nonce: str = request.state.csrf_nonce
    return nonce


def _sign(key: bytes, nonce: str, session: str) -> str:
    return hmac.new(key, f"{nonce}|{session}".encode(), hashlib.sha256).hexdigest()


def token_for(request: Request, key: bytes) -> str:
    """The token this request's forms carry."""
    return _sign(key, _nonce(request), request.cookies.get(SESSION_COOKIE, ""))


def set_cookie(request: Request, response: Response) -> None:
    """Give the browser its nonce if it came without one."""
    nonce = getattr(request.state, "csrf_nonce", None)
    if nonce is not None:
        response.set_cookie(
            COOKIE, nonce, httponly=True, samesite="lax", secure=secure(request), path="/"
        )


def check(request: Request, form: FormData, key: bytes) -> None:
    """Raise ``CsrfFailed`` unless ``form`` carries this browser's token."""
    given = form.get(FIELD)
    nonce = request.cookies.get(COOKIE, "")
    if not isinstance(given, str) or not _NONCE.fullmatch(nonce):
        raise CsrfFailed
    expected = _sign(key, nonce, request.cookies.get(SESSION_COOKIE, ""))
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfFailed
