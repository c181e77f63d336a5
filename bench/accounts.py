"""The benchmark's accounts: every seeded user shares one password, stored only hashed.

The password is made fresh for each run and never written anywhere but in
this process's memory; the loaders store its Argon2id hash (computed once),
and the runner logs in with it as the admin (user 1) to get a token for the
write scenarios.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable, Iterator

import httpx

from api.auth.passwords import Passwords
from bench.dataset import ADMIN_USERNAME, Row


@functools.cache
def password() -> str:
    """This run's password of every seeded account."""
    return secrets.token_urlsafe(24)


@functools.cache
def password_hash() -> str:
    """Its Argon2id hash, with the service's default cost (what a sign-up would store)."""
    from api.settings import Settings

    settings = Settings()
    hasher = Passwords(settings.password_hash_memory_kib, settings.password_hash_time_cost)
    return hasher.hash_blocking(password())


def with_password(rows: Iterable[Row]) -> Iterator[Row]:
    """User rows with the run's password hash (never the password) and token version 0."""
    hashed = password_hash()
    for row in rows:
        yield {**row, "password_hash": hashed, "token_version": 0}


def admin_token(base_url: str) -> str:
    """Log in to the running service as the benchmark's admin; the access token."""
    response = httpx.post(
        f"{base_url}/auth/token",
        data={"username": ADMIN_USERNAME, "password": password()},
        timeout=60,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token
