"""Access tokens: JWTs signed with the service's secret key (HS256).

A token carries the user id (``sub``), role, the account's token version
(``ver``: changing the password bumps it, so older tokens stop working),
``typ: access``, a random token id (``jti``: logging out denies that id
until the token expires) and issue and expiry times. Verification accepts HS256 only
(so ``alg: none`` and key-confusion tokens fail), requires every claim, and
checks the type. A token signed with a key the service no longer has is
rejected: rotating ``SECRET_KEY`` ends every session.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt

from storage.types import Credentials

if TYPE_CHECKING:
    from api.shared.state import SharedState

ALGORITHM = "HS256"
TYPE = "access"
REQUIRED = ["sub", "role", "ver", "typ", "jti", "iat", "exp"]
SESSION_COOKIE = "session"
"""The cookie the pages keep their token in (``web.session``)."""


@dataclass(frozen=True)
class Claims:
    """What a valid token says."""

    user_id: int
    role: str
    token_version: int
    token_id: str
    """``jti``: what a log-out denies."""
    expires_at: int
    """``exp``, Unix time: a denied id needs keeping until then only."""


class Tokens:
    """Issues and verifies the access tokens of one service.

    ``denied`` are the token ids logged out in this process (until they
    expire: ``api.shared.local.LocalRevocations``), refused by ``verify``
    itself. ``shared`` is set when admitting a token takes more than that (a
    deny-list in Redis, the caller's read position: ``api.auth.admission``).
    """

    def __init__(self, key: str, minutes: int, denied: Mapping[str, float] | None = None) -> None:
        self._key = key
        self.seconds = minutes * 60
        self.denied: Mapping[str, float] = {} if denied is None else denied
        self.shared: SharedState | None = None

    def issue(self, account: Credentials) -> str:
        """A fresh access token for ``account``."""
        now = int(time.time())
        claims = {
            "sub": str(account.id),
            "role": account.role,
            "ver": account.token_version,
            "typ": TYPE,
            "jti": secrets.token_urlsafe(12),  # 96 random bits: unique among live tokens
            "iat": now,
            "exp": now + self.seconds,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Claims | None:
        """The claims of a valid, unexpired access token; None for anything else."""
        try:
            data = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], options={"require": REQUIRED}
            )
            if data["typ"] != TYPE or data["jti"] in self.denied:
                return None
            return Claims(
                int(data["sub"]),
                str(data["role"]),
                int(data["ver"]),
                str(data["jti"]),
                int(data["exp"]),
            )
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
