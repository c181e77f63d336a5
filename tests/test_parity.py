"""The same requests give the same responses on every backend (timestamps aside).

One scripted session touches every route; its transcript on each enabled
backend must equal the transcript on SQLite, byte for byte once timestamps are
masked. Creations come first: after a refused insert, SQL sequences and the
Mongo counter may skip an id, and the README says so.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.accounts import PASSWORD, admin_token
from tests.conftest import ENABLED, http_client, running_app

pytestmark = pytest.mark.anyio

Step = tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]  # method, path, json, params

POST = "x" * 20


def account(username: str, email: str, **fields: Any) -> dict[str, Any]:
    return {"username": username, "password": PASSWORD, "email": email, **fields}


# User 1 is the admin every test database holds (tests.accounts); the script runs as them.
SCRIPT: list[Step] = [
    (
        "POST",
        "/users",
        account("ada", "Ada@Example.com", name="Ada", age=36, city="London"),
        None,
    ),
    ("POST", "/users", account("grace", "grace@example.com", name="Grace", age=45), None),
    ("POST", "/users", account("linus", "linus@example.com", name="Linus", age=28), None),
    ("PATCH", "/users/4", {"is_active": False}, None),
    (
        "POST",
        "/posts",
        {"title": "First post", "content": POST, "author_id": 2, "tags": ["Intro", "misc"]},
        None,
    ),
    (
        "POST",
        "/posts",
        {"title": "Second post", "content": POST, "author_id": 3, "tags": ["misc"]},
        None,
    ),
    (
        "POST",
        "/posts",
        {"title": "Third post", "content": "About MongoDB and SQL", "author_id": 2},
        None,
    ),
    ("POST", "/categories", {"name": "Books", "description": "Paper and ink"}, None),
    ("POST", "/categories", {"name": "Games"}, None),
    ("POST", "/products", {"name": "Novel", "price": "12.90", "stock": 4, "category_id": 1}, None),
    ("POST", "/products", {"name": "Chess set", "price": 35, "stock": 0, "category_id": 2}, None),
    ("POST", "/products", {"name": "Bookmark", "price": 0.5, "stock": 100}, None),
    ("GET", "/users", None, {"sort": "-age"}),
    ("GET", "/users/search", None, {"name": "a", "is_active": True}),
    ("GET", "/users/2", None, None),
    ("GET", "/users/2/posts", None, None),
    ("GET", "/users/4/posts", None, None),
    ("GET", "/posts", None, {"tag": "misc"}),
    ("GET", "/posts", None, {"q": "mongodb", "limit": 1}),
    ("POST", "/posts/1/publish", None, None),
    ("POST", "/posts/1/publish", None, None),
    ("GET", "/posts", None, {"published": True}),
    ("PATCH", "/posts/2", {"tags": ["Misc", "news"], "title": "Second post, edited"}, None),
    ("GET", "/tags", None, {"sort": "-post_count"}),
    ("GET", "/products", None, {"min_price": 1, "max_price": 40, "sort": "-price"}),
    ("GET", "/products", None, {"in_stock": True, "q": "BOOK"}),
    ("PATCH", "/products/2", {"stock": 3, "price": "33.33"}, None),
    ("PATCH", "/products/3", {"category_id": 1}, None),
    ("GET", "/products/3", None, None),
    ("POST", "/orders", {"user_id": 3, "items": [{"product_id": 1, "quantity": 2}]}, None),
    ("POST", "/orders", {"user_id": 3, "items": [{"product_id": 2, "quantity": 9}]}, None),
    ("GET", "/users/3/orders", None, None),
    ("PATCH", "/users/3", {"city": "Arlington", "age": 46}, None),
    ("POST", "/users", account("ada2", "ADA@example.com", name="Ada again", age=1), None),
    ("POST", "/users", account("GRACE", "grace2@example.com", name="Grace two", age=1), None),
    ("PATCH", "/users/4", {"email": "grace@EXAMPLE.com"}, None),
    ("POST", "/categories", {"name": "books"}, None),
    ("DELETE", "/categories/1", None, None),
    ("POST", "/posts", {"title": "Orphan", "content": POST, "author_id": 99}, None),
    ("POST", "/products", {"name": "Ghost", "price": 1, "category_id": 99}, None),
    ("POST", "/users", account("x", "nope", name="X", age=-1), None),
    ("GET", "/users/0", None, None),
    ("GET", "/posts/99", None, None),
    ("GET", "/users", None, {"sort": "nope"}),
    ("DELETE", "/users/2", None, None),
    ("GET", "/posts", None, None),
    ("GET", "/tags", None, None),
    ("POST", "/orders/1/cancel", None, None),
    ("POST", "/orders/1/cancel", None, None),
    ("DELETE", "/products/1", None, None),
    ("DELETE", "/products/3", None, None),
    ("DELETE", "/categories/1", None, None),
    ("GET", "/categories", None, None),
    ("DELETE", "/categories/1", None, None),
    ("GET", "/products", None, {"deleted": "only"}),
]


TIMES = ("created_at", "updated_at", "deleted_at")


def mask_timestamps(value: Any) -> Any:
    """Replace timestamp values (which differ by when the request ran) with a marker."""
    if isinstance(value, dict):
        return {
            k: "<timestamp>" if k in TIMES and v is not None else mask_timestamps(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_timestamps(v) for v in value]
    return value


async def transcript(client: httpx.AsyncClient) -> list[tuple[str, int, Any]]:
    lines = []
    for method, path, body, params in SCRIPT:
        response = await client.request(method, path, json=body, params=params)
        payload = response.json() if response.content else None
        lines.append(
            (f"{method} {path} {params or ''}", response.status_code, mask_timestamps(payload))
        )
    return lines


async def test_same_script_same_responses_on_every_backend(database_urls: dict[str, str]) -> None:
    transcripts = {}
    for case in ENABLED:
        async with running_app(case, database_urls[case.id]) as app:  # noqa: SIM117 (the token needs the app)
            async with http_client(app, await admin_token(app)) as client:
                transcripts[case.id] = await transcript(client)
    reference = transcripts["sqlite"]
    assert all(status < 500 for _, status, _ in reference)
    assert {status for _, status, _ in reference} >= {200, 201, 204, 404, 409, 422}
    for name, lines in transcripts.items():
        for expected, actual in zip(reference, lines, strict=True):
            assert actual == expected, f"{name} differs from sqlite at {expected[0]}"
