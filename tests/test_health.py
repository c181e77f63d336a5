"""/health and the HTTP mapping of storage errors, with a storage that fails on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

import api.main
from api.settings import Settings
from storage.errors import Unavailable

pytestmark = pytest.mark.anyio


class DownStorage:
    """A storage whose database has gone away: every call raises ``Unavailable``."""

    backend = "sql"
    database = "postgresql"
    read_lag_bound = None

    def __init__(self) -> None:
        self.closed = False

    def replicas(self) -> list[Any]:
        return []

    async def ping(self) -> None:
        raise Unavailable("Database unavailable: connection refused")

    async def close(self) -> None:
        self.closed = True

    def pool_usage(self) -> list[Any]:
        return []

    def __getattr__(self, name: str) -> Any:
        return self  # storage.users, storage.users.get, ... all lead to __call__

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise Unavailable("Database unavailable: connection refused")


@pytest.fixture
async def down_client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    storage = DownStorage()

    async def open_down(*args: Any, **kwargs: Any) -> DownStorage:
        return storage

    monkeypatch.setattr(api.main, "open_storage", open_down)
    app = api.main.create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    assert storage.closed


async def test_health_is_503_when_database_is_down(down_client: httpx.AsyncClient) -> None:
    response = await down_client.get("/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "backend": "sql",
        "database": "postgresql",
        "detail": "The database did not answer; the service log has the cause",
    }


async def test_requests_get_503_with_retry_after(down_client: httpx.AsyncClient) -> None:
    response = await down_client.get("/users/1")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"detail": "Database unavailable; retry shortly"}


async def test_health_ok(client: httpx.AsyncClient, backend: Any) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["backend"] == backend.backend
    root = await client.get("/")
    assert root.json() == {"message": "API is running", "backend": backend.backend}
