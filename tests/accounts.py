"""Accounts for the tests: the admin every emptied database holds, sign-ups, tokens."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from storage.types import NewUser

ADMIN = {"username": "root", "email": "root@example.com", "password": "admin password 1"}
# A name no test's text filter matches (they search Latin, Greek and Turkish letters).
ADMIN_NAME = "Ωω"
PASSWORD = "correct horse battery"


async def create_admin(app: FastAPI) -> None:
    """Store the admin account (id 1 in an emptied database), as ``create-admin`` would."""
    password_hash = await app.state.passwords.hash(ADMIN["password"])
    account = NewUser(
        username=ADMIN["username"],
        name=ADMIN_NAME,
        email=ADMIN["email"],
        age=0,
        city="Unknown",
        role="admin",
        password_hash=password_hash,
    )
    await app.state.storage.users.create(account)


async def token_for(client: httpx.AsyncClient, login: str, password: str = PASSWORD) -> str:
    """Log in through ``POST /auth/token``; the access token."""
    response = await client.post("/auth/token", data={"username": login, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def admin_token(app: FastAPI) -> str:
    """A token of the admin account."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        return await token_for(client, ADMIN["username"], ADMIN["password"])


def bearer(token: str) -> dict[str, str]:
    """The header that sends ``token``."""
    return {"Authorization": f"Bearer {token}"}


def sign_up_body(email: str, **fields: Any) -> dict[str, Any]:
    """A sign-up body: the username from the email, the test password, defaults for the rest."""
    username = "".join(c for c in email.partition("@")[0] if c.isalnum() or c in "_.-")
    return {
        "username": (username + "___")[:30] if len(username) < 3 else username[:30],
        "password": PASSWORD,
        "name": "Ada",
        "email": email,
        "age": 36,
        **fields,
    }
