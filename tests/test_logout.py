"""Logging out: ``POST /auth/logout`` and the pages' log-out end that token at once.

On one instance without ``REDIS_URL`` (these tests); across instances with it
(``tests/scaleout/test_shared_state.py``).
"""

from __future__ import annotations

import httpx
import jwt
import pytest
from fastapi import FastAPI

from tests.accounts import bearer, token_for
from tests.helpers import new_user
from tests.pages_helpers import browser, sign_up, submit

pytestmark = pytest.mark.anyio


async def test_a_logged_out_token_is_refused_and_others_are_not(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    await new_user(client, "ada@example.com", username="ada")
    first, second = await token_for(anonymous, "ada"), await token_for(anonymous, "ada")
    assert (
        jwt.decode(first, options={"verify_signature": False})["jti"]
        != jwt.decode(second, options={"verify_signature": False})["jti"]
    )
    assert (await anonymous.get("/users/me", headers=bearer(first))).status_code == 200

    out = await anonymous.post("/auth/logout", headers=bearer(first))
    assert out.status_code == 204 and out.content == b""
    assert (await anonymous.get("/users/me", headers=bearer(first))).status_code == 401
    written = await anonymous.post(
        "/posts",
        json={"title": "After logout", "content": "Twenty characters at least."},
        headers=bearer(first),
    )
    assert written.status_code == 401
    # Logging out again needs a valid token, as every signed-in action does.
    assert (await anonymous.post("/auth/logout", headers=bearer(first))).status_code == 401
    assert (await anonymous.post("/auth/logout")).status_code == 401
    # The account's other token (another device) is untouched.
    assert (await anonymous.get("/users/me", headers=bearer(second))).status_code == 200


async def test_the_pages_log_out_ends_the_cookie_token(app: FastAPI) -> None:
    async with browser(app) as web:
        await sign_up(web, "grace")
        session = web.cookies["session"]
        assert (await web.get("/write")).status_code == 200
        out = await submit(web, "/logout", {}, form_page="/")
        assert out.status_code == 303
    # A copy of the cookie kept from before (another tab, a thief) opens nothing.
    async with browser(app) as stolen:
        stolen.cookies.set("session", session)
        assert (await stolen.get("/write")).status_code == 303
        assert (await stolen.get("/users/me", headers=bearer(session))).status_code == 401
