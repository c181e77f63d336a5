"""Two API instances sharing one database and one Redis (a private redis-server).

What they share (login throttling, logged-out tokens) holds across them; when
Redis stops, logins and writes keep working on each instance's own state, and
a log-out made meanwhile reaches the other instance once Redis is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.accounts import PASSWORD, bearer, sign_up_body
from tests.scaleout.instances import instance
from tests.scaleout.redis_server import PrivateRedis
from tests.servers import migrated_sqlite

pytestmark = pytest.mark.anyio

Pair = tuple[httpx.AsyncClient, httpx.AsyncClient]


@pytest.fixture
async def pair(tmp_path: Path, redis_server: PrivateRedis) -> AsyncIterator[Pair]:
    """Instances A and B on one SQLite file and one Redis (emptied first)."""
    if redis_server.process is None:
        redis_server.start()
    with redis_server.client() as keys:
        keys.flushdb()
    url = await asyncio.to_thread(migrated_sqlite, tmp_path)
    shared = {"database_url": url, "redis_url": redis_server.url}
    async with instance(**shared) as (_, a), instance(**shared) as (_, b):
        yield a, b


async def _account(client: httpx.AsyncClient, name: str) -> None:
    response = await client.post("/users", json=sign_up_body(f"{name}@example.com"))
    assert response.status_code == 201, response.text


async def _log_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> int:
    response = await client.post("/auth/token", data={"username": name, "password": password})
    return response.status_code


async def _token(client: httpx.AsyncClient, name: str) -> str:
    response = await client.post("/auth/token", data={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_failed_logins_count_across_instances(pair: Pair) -> None:
    a, b = pair
    await _account(a, "ada")
    for client in (a, b, a, b, a):  # five failures in all, none five on one instance
        assert await _log_in(client, "ada", "wrong password") == 401
    for client in (a, b):
        refused = await client.post("/auth/token", data={"username": "ada", "password": PASSWORD})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
    # Another account is not throttled by Ada's failures.
    await _account(b, "bob")
    assert await _log_in(a, "bob") == 200


async def test_a_token_logged_out_on_one_instance_is_refused_by_the_other(
    pair: Pair, redis_server: PrivateRedis
) -> None:
    a, b = pair
    await _account(a, "ada")
    token, other = await _token(a, "ada"), await _token(b, "ada")
    assert (await b.get("/users/me", headers=bearer(token))).status_code == 200
    assert (await a.post("/auth/logout", headers=bearer(token))).status_code == 204
    for client in (a, b):
        assert (await client.get("/users/me", headers=bearer(token))).status_code == 401
        assert (await client.get("/users/me", headers=bearer(other))).status_code == 200
    # Denied until the token would have expired, and no longer: Redis forgets it then.
    with redis_server.client() as keys:
        names = keys.keys("dualstore:revoked:*")
        assert len(names) == 1
        assert 0 < keys.ttl(names[0]) <= 30 * 60


async def test_a_redis_outage_keeps_logins_and_writes_working(
    pair: Pair, redis_server: PrivateRedis
) -> None:
    a, b = pair
    await _account(a, "ada")
    await _account(a, "eve")
    token = await _token(a, "ada")
    redis_server.stop()

    health = await a.get("/health")
    assert health.status_code == 200 and health.json()["redis"] == "unavailable"
    fresh = await _token(b, "ada")  # logging in works
    post = {"title": "Written while Redis is away", "content": "Twenty characters at least."}
    written = await b.post("/posts", json=post, headers=bearer(fresh))
    assert written.status_code == 201, written.text

    # Throttling falls back to each instance's own counts: still a limit.
    for _ in range(5):
        assert await _log_in(a, "eve", "wrong password") == 401
    assert await _log_in(a, "eve") == 429
    assert await _log_in(b, "eve") == 200  # B has not seen those failures

    # A log-out while Redis is away holds here at once ...
    assert (await a.post("/auth/logout", headers=bearer(token))).status_code == 204
    assert (await a.get("/users/me", headers=bearer(token))).status_code == 401
    assert (await b.get("/users/me", headers=bearer(token))).status_code == 200  # fail open

    # ... and reaches the other instance once Redis answers again (it restarted empty).
    redis_server.start()
    health = await a.get("/health")  # A's next Redis call writes what it kept
    assert health.json()["redis"] == "ok"
    assert (await b.get("/health")).json()["redis"] == "ok"
    assert (await b.get("/users/me", headers=bearer(token))).status_code == 401
    assert (await b.get("/users/me", headers=bearer(fresh))).status_code == 200
