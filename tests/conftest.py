"""One fixture drives the backend matrix: every contract test runs on each backend.

Always: ``sqlite`` and ``mongo``. ``mongo`` is the MongoDB named by
TEST_MONGO_URL or, without it, a mongoeco wire server that this run starts
and stops itself (``tests/standin.py``): either way through the real PyMongo
driver over TCP. Also ``postgres`` and ``mariadb`` when TEST_POSTGRES_URL or
TEST_MYSQL_URL is set. Each test talks HTTP to an app whose lifespan really
ran, over httpx's ASGI transport, on a database emptied before the test.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from api.main import create_app
from api.settings import Settings
from bench.databases import mongo_database, sql_database
from storage.factory import migrate_storage
from tests.accounts import admin_token, create_admin
from tests.faults.enabling import header as fault_tests_header
from tests.resetting import reset_storage
from tests.scaleout.enabling import header as scale_out_tests_header
from tests.standin import standin_server

# The tests run services in development (the well-known secret key is allowed);
# the tests of production's refusals set ENVIRONMENT=production themselves.
os.environ.setdefault("ENVIRONMENT", "development")


@dataclass(frozen=True)
class BackendCase:
    """One backend of the matrix: which storage, and the env var that enables it."""

    id: str
    backend: str  # "sql" or "mongo"
    env: str | None  # the variable naming its server; None: needs none
    always: bool = False  # runs without its variable (SQLite; Mongo on the stand-in)


CASES = [
    BackendCase("sqlite", "sql", None, always=True),
    BackendCase("mongo", "mongo", "TEST_MONGO_URL", always=True),
    BackendCase("postgres", "sql", "TEST_POSTGRES_URL"),
    BackendCase("mariadb", "sql", "TEST_MYSQL_URL"),
]
ENABLED = [case for case in CASES if case.always or os.environ.get(case.env or "")]
SQL_CASES = [case for case in ENABLED if case.backend == "sql"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _migrate(case: BackendCase, url: str) -> None:
    asyncio.run(migrate_storage(case.backend, database_url=url, mongo_url=url))  # type: ignore[arg-type]


def mongo_server_url() -> str | None:
    """TEST_MONGO_URL, or None when the run uses the stand-in."""
    return os.environ.get("TEST_MONGO_URL") or None


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of the MongoDB-compatible server this run's Mongo tests use."""
    url = mongo_server_url()
    if url is not None:
        yield url
        return
    with standin_server(tmp_path_factory.mktemp("mongoeco")) as standin:
        yield standin


@pytest.fixture(scope="session")
def database_urls(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[str, str]]:
    """A migrated database per enabled backend for this run, dropped afterwards."""
    urls: dict[str, str] = {}
    with ExitStack() as stack:
        for case in ENABLED:
            if case.id == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
            elif case.backend == "sql":
                url = stack.enter_context(sql_database(os.environ[case.env or ""]))
            else:
                server = request.getfixturevalue("mongo_server")
                url = stack.enter_context(mongo_database(server))
            _migrate(case, url)
            urls[case.id] = url
        yield urls


# Argon2id at its cheapest: the tests hash hundreds of passwords, and prove
# nothing about the cost (the production default is OWASP's, see api.settings).
FAST_HASHES = {"password_hash_memory_kib": 8, "password_hash_time_cost": 1}


def settings_for(case: BackendCase, url: str, **overrides: Any) -> Settings:
    """Settings that point the app at ``url`` on ``case``'s backend."""
    field = "database_url" if case.backend == "sql" else "mongo_url"
    values: dict[str, Any] = {
        "storage_backend": case.backend,
        field: url,
        "environment": "development",
        **FAST_HASHES,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(params=ENABLED, ids=[case.id for case in ENABLED])
def backend(request: pytest.FixtureRequest) -> BackendCase:
    """The backend this test runs on."""
    case: BackendCase = request.param
    return case


@asynccontextmanager
async def running_app(case: BackendCase, url: str, **overrides: Any) -> AsyncIterator[FastAPI]:
    """The app on ``case``'s backend at ``url``, lifespan started, database emptied.

    The emptied database holds one account: the admin the ``client`` fixture
    acts as (``tests.accounts.ADMIN``, user id 1). ``overrides`` are settings.
    """
    application = create_app(settings_for(case, url, **overrides))
    async with LifespanManager(application):
        await reset_storage(application.state.storage)
        await create_admin(application)
        yield application


def http_client(app: FastAPI, token: str | None = None) -> httpx.AsyncClient:
    """An HTTP client talking to ``app`` in process (as the holder of ``token``, if given)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
    )


@pytest.fixture
async def app(backend: BackendCase, database_urls: dict[str, str]) -> AsyncIterator[FastAPI]:
    """The app on ``backend``, lifespan started, database emptied."""
    async with running_app(backend, database_urls[backend.id]) as application:
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client acting as the admin (who may do everything), in process."""
    async with http_client(app, await admin_token(app)) as http:
        yield http


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client without a token."""
    async with http_client(app) as http:
        yield http


def pytest_report_header() -> list[str]:
    """Say which backends this run exercises, and which were left out and why."""
    mongo = mongo_server_url()
    lines = [
        "backends: " + ", ".join(case.id for case in ENABLED),
        "mongo: " + ("TEST_MONGO_URL (a real server)" if mongo else "mongoeco wire stand-in"),
    ]
    lines += [
        f"backend left out: {case.id} ({case.env} is not set)"
        for case in CASES
        if case not in ENABLED
    ]
    return lines + fault_tests_header() + scale_out_tests_header()
