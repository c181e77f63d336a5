"""SQLite (WAL) under the real service: kill -9 mid-write, and a write lock held elsewhere.

SQLite has no server to stop or freeze; what can go wrong is the process
dying mid-transaction and another process holding the write lock.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from api.errors import UNAVAILABLE
from tests.faults.checks import SLACK
from tests.faults.load import user_body
from tests.faults.scenarios import crash_under_writes, report
from tests.faults.service import Service, migrate
from tests.faults.slow import STATEMENT_SECONDS, app_with_slow_route

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file."""
    path = tmp_path_factory.mktemp("sqlite") / "app.db"
    migrate({"STORAGE_BACKEND": "sql", "DATABASE_URL": f"sqlite:///{path}"})
    return path


@pytest.fixture(scope="module")
def service(database: Path) -> Iterator[Service]:
    """``python -m api serve`` on the file, default timeouts."""
    env = {"STORAGE_BACKEND": "sql", "DATABASE_URL": f"sqlite:///{database}"}
    server = Service(env, database.parent / "service.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_kill_9_loses_no_acknowledged_write(service: Service) -> None:
    count = await crash_under_writes(service, service.kill, service.start)
    report("sqlite kill -9 service", count.as_figures())
    assert not count.lost, f"acknowledged sign-ups lost: {count.lost[:5]}"


async def test_connections_run_wal_with_synchronous_normal(database: Path) -> None:
    # What makes the kill -9 result hold: a commit is in the WAL file before
    # it is acknowledged. NORMAL syncs the WAL at checkpoints, not per commit:
    # a power loss may take the last commits, a process crash cannot.
    url = f"sqlite:///{database}"
    async with (
        app_with_slow_route(url, "SELECT 1") as (app, _),
        app.state.storage.db.read() as conn,
    ):
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        synchronous = (await conn.execute(text("PRAGMA synchronous"))).scalar()
    assert (mode, synchronous) == ("wal", 1)


async def test_write_lock_held_elsewhere_is_a_prompt_503(database: Path) -> None:
    async with app_with_slow_route(f"sqlite:///{database}", "SELECT 1") as (_, client):
        holder = sqlite3.connect(database, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another process's write transaction
            began = time.monotonic()
            response = await client.post("/users", json=user_body("locked"))
            took = time.monotonic() - began
        finally:
            holder.close()
        assert response.status_code == 503, response.text
        assert response.json() == {"detail": UNAVAILABLE}
        assert response.headers["retry-after"]
        assert STATEMENT_SECONDS * 0.9 <= took < STATEMENT_SECONDS + SLACK, took
        retried = await client.post("/users", json=user_body("locked"))
        assert retried.status_code == 201, retried.text
    report("sqlite write lock held", {"503 after s": round(took, 2)})
