"""Helpers for page tests: a browser-like client (cookies, Accept: text/html) and form posts."""

from __future__ import annotations

import html
import re

import httpx
from fastapi import FastAPI

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def browser(app: FastAPI) -> httpx.AsyncClient:
    """An in-process client that asks for HTML and keeps cookies, as a browser does."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=HTML
    )


async def csrf_token(client: httpx.AsyncClient, path: str) -> str:
    """The CSRF token of the form on the page at ``path``."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    found = _TOKEN.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


async def submit(
    client: httpx.AsyncClient, path: str, data: dict[str, str], form_page: str | None = None
) -> httpx.Response:
    """Fill in the form found on ``form_page`` (default ``path``) and post it to ``path``."""
    token = await csrf_token(client, form_page or path)
    return await client.post(path, data={**data, "csrf_token": token})


def text_of(page: httpx.Response) -> str:
    """The page's markup with entities decoded and tags kept (for plain-text assertions)."""
    return html.unescape(page.text)


async def sign_up(client: httpx.AsyncClient, username: str, **fields: str) -> httpx.Response:
    """Sign up through the form (signed in afterwards)."""
    data = {
        "username": username,
        "password": "correct horse battery",
        "name": fields.pop("name", username.title()),
        "email": f"{username}@example.com",
        "age": "30",
        **fields,
    }
    response = await submit(client, "/signup", data)
    assert response.status_code == 303, response.text
    return response


async def log_in(client: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    """Log in through the form."""
    return await submit(client, "/login", {"username": login, "password": password})
