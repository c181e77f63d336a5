"""A real browser for the page tests: Debian's Chromium driven by Playwright, and real servers.

Chromium comes from the system (``apt-get install -y chromium``), never from a
download at test time: ``CHROMIUM`` is where Debian puts it. The flags keep it
quiet on a closed network (no background fetches, updates or sync).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench.databases import mongo_database
from storage.factory import migrate_storage
from tests.accounts import ADMIN
from tests.servers import ROOT, Server, migrated_sqlite, served

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = (
    f"Chromium is not at {CHROMIUM}: install it with `apt-get install -y chromium` "
    "(./scripts/test does this by itself when run as root), or set CHROMIUM=/path/to/chromium"
)
# Cheap password hashes: the browser tests prove nothing about their cost.
SERVER_ENV = {
    "ENVIRONMENT": "development",
    "PASSWORD_HASH_MEMORY_KIB": "8",
    "PASSWORD_HASH_TIME_COST": "1",
    "LOG_FORMAT": "text",
}


def _in_thread[T](work: Callable[[], T]) -> T:
    # Playwright's sync API runs an event loop in this thread; migrations need their own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def _store_env(
    backend: str, folder: Path, stack: ExitStack, mongo_server: str | None
) -> dict[str, str]:
    if backend == "sqlite":
        url = _in_thread(lambda: migrated_sqlite(folder))
        return {"STORAGE_BACKEND": "sql", "DATABASE_URL": url}
    assert mongo_server is not None
    url = stack.enter_context(mongo_database(mongo_server, prefix="pages"))
    _in_thread(lambda: asyncio.run(migrate_storage("mongo", database_url="", mongo_url=url)))
    return {"STORAGE_BACKEND": "mongo", "MONGO_URL": url}


def _create_admin(env: dict[str, str]) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "api",
            "create-admin",
            "--username",
            ADMIN["username"],
            "--email",
            ADMIN["email"],
        ],
        input=ADMIN["password"] + "\n",
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )


def seed_catalog(url: str) -> None:
    """Two categories and three products, written through the JSON API as the admin."""
    with httpx.Client(base_url=url, timeout=30) as api:
        login = {"username": ADMIN["username"], "password": ADMIN["password"]}
        token = api.post("/auth/token", data=login).json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        books = api.post("/categories", json={"name": "Books"}).json()["id"]
        pens = api.post("/categories", json={"name": "Pens"}).json()["id"]
        for name, price, stock, category in (
            ("Sketchbook", "12.50", 3, books),
            ("Novel", "25.00", 0, books),
            ("Fountain pen", "40.00", 5, pens),
        ):
            body = {"name": name, "price": price, "stock": stock, "category_id": category}
            assert api.post("/products", json=body).status_code == 201


@contextmanager
def site(backend: str, folder: Path, mongo_server: str | None = None) -> Iterator[Server]:
    """``python -m api serve`` on a fresh ``backend`` store holding the admin and a catalog."""
    with ExitStack() as stack:
        env = {**SERVER_ENV, **_store_env(backend, folder, stack, mongo_server)}
        _create_admin(env)
        server = stack.enter_context(served(env, "--no-access-log", timeout=60))
        seed_catalog(server.url)
        yield server
