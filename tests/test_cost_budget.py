"""What a request costs, as a budget that cannot drift: function calls per point read, list, write.

Counted in process on SQLite (``tests.cost``: deterministic on any machine,
whatever its speed or load). A change that makes a request cost more than
its budget fails here: either it is worth it, and the budget is raised in
the same commit with the reason, or the path is made short again. A budget
that is no longer reached is lowered the same way, so it keeps its edge.

The point read is also held against a bare FastAPI route that makes the
same driver call (the benchmark's raw query through aiosqlite) and returns
the same JSON (``REFERENCE_RATIO``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiosqlite
import pytest
from fastapi import FastAPI

from bench.baseline.shapes import iso_utc_text, user_json
from bench.baseline.sql import USER_SQL
from tests.accounts import bearer, token_for
from tests.conftest import SQL_CASES, http_client, running_app
from tests.cost import call, calls_per_request, scope_for
from tests.helpers import new_post, new_user

pytestmark = pytest.mark.anyio

SQLITE = next(case for case in SQL_CASES if case.id == "sqlite")

BUDGETS = {
    # Recorded 2026-12-06 (FastAPI 0.165, Starlette 1.10, pydantic 2.14, Python 3.13).
    "GET /users/{id}": 657,
    "GET /posts?limit=50": 3221,
    # 3639, then +83 when every SQL write became one transaction retried under one
    # deadline (storage.retry, storage.sql.rows: a deadlock or a Galera certification
    # conflict no longer turns into a 503), and +38 for a token's id (jti, so that a
    # log-out can deny it: PyJWT checks every base64 character of the payload with a
    # generator, +35; admitting a token is one function, api.auth.admission, +1).
    "PATCH /users/{id}": 3760,
}
REFERENCE_RATIO = 2.0
"""A point read costs at most this many times the bare FastAPI route's calls (1.74 today)."""


@pytest.fixture
async def scene(database_urls: dict[str, str]) -> AsyncIterator[tuple[FastAPI, str, str]]:
    """The app on SQLite with a user (and their token) and 60 published posts.

    One connection per pool: a pool of several starts threads and connections
    as load comes, at moments that depend on timing, and each costs calls.
    """
    url = database_urls["sqlite"]
    async with running_app(SQLITE, url, sql_pool_size=1) as app, http_client(app) as anonymous:
        admin_client = http_client(app, await token_for(anonymous, "root", "admin password 1"))
        async with admin_client as admin:
            user = await new_user(admin)
            for i in range(60):
                title, tags = f"Post number {i:02}", ["a", "b"]
                await new_post(admin, user["id"], title=title, tags=tags, published=True)
        yield app, url, await token_for(anonymous, user["username"])


def _over_budget(name: str, counted: int) -> str:
    return (
        f"{name} makes {counted} calls, its budget is {BUDGETS[name]}: shorten the path, or "
        "raise BUDGETS in tests/test_cost_budget.py with the reason in the commit"
    )


async def test_a_point_read_stays_within_its_budget(scene: tuple[FastAPI, str, str]) -> None:
    app, _, _ = scene
    counted = await calls_per_request(app, scope_for("GET", "/users/2"))
    assert counted <= BUDGETS["GET /users/{id}"], _over_budget("GET /users/{id}", counted)


async def test_a_list_page_stays_within_its_budget(scene: tuple[FastAPI, str, str]) -> None:
    app, _, _ = scene
    counted = await calls_per_request(app, scope_for("GET", "/posts?limit=50"))
    assert counted <= BUDGETS["GET /posts?limit=50"], _over_budget("GET /posts?limit=50", counted)


async def test_a_write_stays_within_its_budget(scene: tuple[FastAPI, str, str]) -> None:
    app, _, token = scene
    body = json.dumps({"city": "Rome"}).encode()
    headers = [
        (b"authorization", bearer(token)["Authorization"].encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    counted = await calls_per_request(app, scope_for("PATCH", "/users/2", headers), body)
    assert counted <= BUDGETS["PATCH /users/{id}"], _over_budget("PATCH /users/{id}", counted)


async def test_a_point_read_costs_at_most_twice_a_bare_route(
    scene: tuple[FastAPI, str, str],
) -> None:
    app, url, _ = scene
    connection = await aiosqlite.connect(url.split(":///", 1)[1], isolation_level=None)
    bare = FastAPI()

    @bare.get("/users/{user_id}")
    async def read(user_id: int) -> object:
        rows = list(await connection.execute_fetchall(USER_SQL.format("?"), (user_id,)))
        return user_json(rows[0], iso_utc_text)

    try:
        # The same answer, byte for byte: the comparison is of the same work.
        assert (await call(bare, scope_for("GET", "/users/2")))[1] == (
            await call(app, scope_for("GET", "/users/2"))
        )[1]
        reference = await calls_per_request(bare, scope_for("GET", "/users/2"))
        counted = await calls_per_request(app, scope_for("GET", "/users/2"))
    finally:
        await connection.close()
    assert counted <= REFERENCE_RATIO * reference, (counted, reference)
