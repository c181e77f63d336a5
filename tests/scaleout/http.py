"""Small synchronous HTTP helpers for tests that talk to real API instances."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.accounts import PASSWORD, sign_up_body

Json = dict[str, Any]
# Argon2id at its cheapest, and one signing key for every instance (tokens and
# cursors made by one are read by another, as behind a load balancer).
INSTANCE_ENV = {
    "PASSWORD_HASH_MEMORY_KIB": "8",
    "PASSWORD_HASH_TIME_COST": "1",
    "SECRET_KEY": "scale-out-tests-share-this-secret-key-0123456789",
}


def sign_up(base: str, name: str | None = None) -> Json:
    """A new account through ``POST /users`` (anonymous); its JSON."""
    name = name or f"u{uuid.uuid4().hex[:10]}"
    response = httpx.post(f"{base}/users", json=sign_up_body(f"{name}@example.com"), timeout=10)
    assert response.status_code == 201, response.text
    user: Json = response.json()
    return user


def log_in(base: str, login: str, password: str = PASSWORD) -> httpx.Response:
    """``POST /auth/token``."""
    form = {"username": login, "password": password}
    return httpx.post(f"{base}/auth/token", data=form, timeout=10)


def token(base: str, login: str, password: str = PASSWORD) -> dict[str, str]:
    """The bearer header of a fresh token for ``login``."""
    response = log_in(base, login, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def eventually(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Poll ``check`` until true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds:.0f} s"
        time.sleep(0.1)


def replica_states(base: str) -> list[str]:
    """The replicas' states as ``/health`` says."""
    health = httpx.get(f"{base}/health", timeout=10)
    assert health.status_code == 200, health.text
    return [replica["state"] for replica in health.json().get("replicas", [])]
