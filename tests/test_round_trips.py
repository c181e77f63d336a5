"""No N+1: a page of posts with authors and tags costs the same round trips at any size.

Counted on the SQL backends (every statement sent) and, when TEST_MONGO_URL is
set, on a real MongoDB (every command, through PyMongo's command monitoring).
The in-process Mongo double sends no commands, so it has nothing to count.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.conftest import SQL_CASES
from tests.helpers import new_post, new_user

pytestmark = pytest.mark.anyio


@contextmanager
def counting_sql(app: FastAPI) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.state.storage.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def seed(client: httpx.AsyncClient, posts: int) -> None:
    authors = [await new_user(client, email=f"author{i}@example.com") for i in range(7)]
    for i in range(posts):
        tags = [f"tag{i % 5}", f"tag{i % 11}", "common"]
        await new_post(client, authors[i % len(authors)]["id"], tags=tags)


@pytest.mark.parametrize("backend", SQL_CASES, indirect=True, ids=[c.id for c in SQL_CASES])
async def test_post_page_round_trips_do_not_grow_with_page_size(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed(client, posts=120)
    counts = {}
    for limit in (10, 100):
        with counting_sql(app) as statements:
            response = await client.get("/posts", params={"limit": limit, "tag": "common"})
        assert response.status_code == 200
        assert len(response.json()["items"]) == limit
        assert all(len(p["tags"]) >= 2 and p["author"]["id"] for p in response.json()["items"])
        counts[limit] = len(statements)
    assert counts[10] == counts[100], counts
    assert counts[10] <= 4, counts


@pytest.mark.skipif(not os.environ.get("TEST_MONGO_URL"), reason="needs a real MongoDB server")
@pytest.mark.real_server
async def test_post_page_commands_do_not_grow_with_page_size_on_mongo(
    database_urls: dict[str, str],
) -> None:
    from pymongo import monitoring

    from tests.conftest import CASES, http_client, running_app

    class Recorder(monitoring.CommandListener):
        def __init__(self) -> None:
            self.commands: list[str] = []

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            self.commands.append(event.command_name)

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            pass

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            pass

    recorder = Recorder()
    monitoring.register(recorder)  # applies to clients created from now on
    case = next(c for c in CASES if c.id == "mongo")
    async with running_app(case, database_urls["mongo"]) as app, http_client(app) as client:
        await seed(client, posts=120)
        counts = {}
        for limit in (10, 100):
            recorder.commands.clear()
            response = await client.get("/posts", params={"limit": limit, "tag": "common"})
            assert len(response.json()["items"]) == limit
            counts[limit] = len([c for c in recorder.commands if c not in ("ping", "hello")])
        assert counts[10] == counts[100], counts
