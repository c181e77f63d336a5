"""Statements that outlive the statement timeout, inside the app (over the ASGI transport).

Two ways a statement runs too long: a slow query on the read engine (through
a route this test adds to its own app instance, never to the service), and a
write waiting for a row lock that another connection holds (``PATCH`` of a
real route). Either must be a 504 with a clear body, promptly, and leave the
pooled connection usable.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.errors import TIMED_OUT
from api.main import create_app
from api.settings import Settings
from storage.sql.engine import create_engine
from tests.accounts import bearer, token_for
from tests.faults.checks import SLACK
from tests.faults.load import user_body
from tests.faults.service import migrate

STATEMENT_SECONDS = 1.0
SLOW_PATH = "/test-only/slow"


def quick_settings(url: str) -> Settings:
    """Settings for ``url`` with a one-second statement timeout."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        db_statement_timeout=STATEMENT_SECONDS,
        db_timeout=3 * STATEMENT_SECONDS,
    )


@asynccontextmanager
async def app_with_slow_route(
    url: str, sql: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app on ``url`` (migrated first) plus ``GET /test-only/slow`` running ``sql``."""
    migrate({"STORAGE_BACKEND": "sql", "DATABASE_URL": url})  # idempotent; any test order
    app: FastAPI = create_app(quick_settings(url))

    async def slow(request: Request) -> dict[str, str]:
        async with request.app.state.storage.db.read() as conn:
            await conn.execute(text(sql))
        return {"finished": "too soon"}

    app.add_api_route(SLOW_PATH, slow)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


def assert_timed_out(response: httpx.Response, seconds: float) -> None:
    """A 504 with the clear body, about when the statement timeout fell."""
    assert response.status_code == 504, response.text
    assert response.json() == {"detail": TIMED_OUT}
    assert seconds < STATEMENT_SECONDS + SLACK, f"took {seconds:.2f} s"


async def slow_query(url: str, sql: str) -> dict[str, Any]:
    """``sql`` runs past the statement timeout: 504; the next request is fine."""
    async with app_with_slow_route(url, sql) as (_, client):
        began = time.monotonic()
        response = await client.get(SLOW_PATH)
        took = time.monotonic() - began
        assert_timed_out(response, took)
        assert (await client.get("/users")).status_code == 200
    return {"slow query 504 s": round(took, 2)}


async def row_lock_wait(url: str, lock_sql: str) -> dict[str, Any]:
    """A PATCH waits for a row lock held elsewhere: 504 at the statement timeout."""
    holder = create_engine(url)  # no timeouts: this connection just sits on the lock
    try:
        async with app_with_slow_route(url, "SELECT 1") as (_, client):
            body = user_body("locked")
            created = await client.post("/users", json=body)
            user_id = created.json()["id"]
            client.headers.update(
                bearer(await token_for(client, body["username"], body["password"]))
            )
            async with holder.connect() as conn, conn.begin():
                await _lock(conn, lock_sql, user_id)
                began = time.monotonic()
                response = await client.patch(f"/users/{user_id}", json={"age": 31})
                took = time.monotonic() - began
            assert_timed_out(response, took)
            retried = await client.patch(f"/users/{user_id}", json={"age": 31})
            assert retried.status_code == 200, retried.text
    finally:
        await holder.dispose()
    return {"row lock wait 504 s": round(took, 2)}


async def _lock(conn: AsyncConnection, lock_sql: str, user_id: int) -> None:
    await conn.execute(text(lock_sql), {"id": user_id})
