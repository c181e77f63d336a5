"""Checking a login: the one code path of ``POST /auth/token`` and the pages' log-in form.

A wrong password, an unknown account and a deactivated one all fail the same
way after the same work (a dummy hash for unknown accounts). Repeated failures
for one account, or from one client address, are throttled (429). With read
replicas, the account is read from the primary (an account signed up a moment
ago exists), and the token's later reads see what the primary had then.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from api.auth.passwords import Passwords
from api.auth.throttle import LoginThrottle
from api.shared.state import SharedState
from storage.protocol import Storage
from storage.types import Credentials
from storage.types.text import fold
from storage.types.users import EMAIL_MAX

WRONG = HTTPException(
    status_code=401,
    detail="Incorrect username or password",
    headers={"WWW-Authenticate": "Bearer"},
)
# One address may fail more often than one account: several people can share it.
CLIENT_FACTOR = 4


async def check_login(
    request: Request, storage: Storage, passwords: Passwords, login: str, password: str
) -> Credentials:
    """The account ``login`` (username or email) and ``password`` open.

    Raises 429 (with ``Retry-After``) while throttled, else 401 ``WRONG``.
    """
    throttle: LoginThrottle = request.app.state.login_throttle
    account_key = f"account:{fold(login.strip())}"
    client_key = f"client:{request.client.host if request.client else 'unknown'}"
    wait = await throttle.retry_after([(account_key, 1), (client_key, CLIENT_FACTOR)])
    if wait:
        raise HTTPException(
            status_code=429,
            detail=f"Too many failed logins; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    # A login no account can have (NUL, which PostgreSQL refuses in text, or
    # longer than any email) is an unknown account, without asking the store.
    possible = "\x00" not in login and len(login) <= EMAIL_MAX
    shared: SharedState = request.app.state.shared
    seen = shared.begin()  # the store reads logins from the primary and says where it stood
    account = await storage.credentials.by_login(login) if possible else None
    stored = account.password_hash if account is not None else None
    if not await passwords.verify(password, stored) or account is None or not account.is_active:
        await throttle.failed([account_key, client_key])
        raise WRONG
    await throttle.succeeded(account_key)
    await shared.adopt(seen, account.id)
    return account
