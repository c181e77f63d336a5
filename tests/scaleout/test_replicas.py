"""Read replicas on a private primary and replica of each engine, which this module starts.

PostgreSQL: ``initdb`` + ``pg_basebackup -R``, a streaming replica; MariaDB: two
``mariadbd --no-defaults``, the replica following the primary's GTIDs. Two
real API instances (``python -m api serve`` on two ports) share the primary,
the replica (``DATABASE_READ_URLS``) and a private Redis, as two instances
behind a load balancer would. The replica's own statistics say which reads
reached it; pausing its replay (``pg_wal_replay_pause()``, ``STOP SLAVE
SQL_THREAD``) makes it stale on purpose.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.accounts import PASSWORD, sign_up_body
from tests.scaleout.http import (
    INSTANCE_ENV,
    eventually,
    log_in,
    replica_states,
    sign_up,
    token,
)
from tests.scaleout.instances import ServedInstance, served
from tests.scaleout.instances import instance as in_process
from tests.scaleout.redis_server import PrivateRedis
from tests.scaleout.replica_pairs import ENGINES, Replicated, start

pytestmark = pytest.mark.replication


@pytest.fixture(scope="module", params=ENGINES)
def servers(request: pytest.FixtureRequest) -> Iterator[Replicated]:
    """A migrated primary and its replica, of each engine this run has."""
    replicated = start(request.param)
    try:
        yield replicated
    finally:
        replicated.destroy()


@pytest.fixture
def standby(servers: Replicated) -> Iterator[Replicated]:
    """The pair with its replica running, replaying and caught up, before and after each test."""
    _ready(servers)
    yield servers
    _ready(servers)


def _ready(servers: Replicated) -> None:
    if not servers.replica_running():
        servers.start_replica()
    servers.resume_replay()
    eventually(servers.caught_up, "the replica catching up")


def _env(servers: Replicated, redis: PrivateRedis, max_lag: float) -> dict[str, str]:
    return {
        **INSTANCE_ENV,
        "DATABASE_URL": servers.primary_url,
        "DATABASE_READ_URLS": servers.replica_url,
        "DATABASE_READ_MAX_LAG": str(max_lag),
        "REDIS_URL": redis.url,
    }


@pytest.fixture(scope="module")
def pair(
    servers: Replicated, redis_server: PrivateRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServedInstance]]:
    """Instances A and B with a lag bound no test reaches (a minute)."""
    folder = tmp_path_factory.mktemp("pair")
    with served(2, _env(servers, redis_server, 60), folder) as instances:
        yield instances


def test_reads_reach_the_replica_and_writes_the_primary(
    standby: Replicated, pair: list[ServedInstance]
) -> None:
    a, b = pair
    user = sign_up(a.url)
    eventually(standby.caught_up, "the sign-up reaching the replica")
    on_primary, on_replica = standby.reads(False, "users"), standby.reads(True, "users")
    for instance in (a, b) * 10:
        response = httpx.get(f"{instance.url}/users/{user['id']}", timeout=10)
        assert response.status_code == 200 and response.json()["id"] == user["id"]
    eventually(lambda: standby.reads(True, "users") >= on_replica + 20, "20 reads counted")
    # Statistics arrive a little late, but nothing else read users on the primary.
    assert standby.reads(False, "users") < on_primary + 20
    assert replica_states(a.url) == replica_states(b.url) == ["ok"]


def test_a_caller_reads_its_writes_on_every_instance_while_replay_is_paused(
    standby: Replicated, pair: list[ServedInstance]
) -> None:
    a, b = pair
    user = sign_up(a.url)
    eventually(standby.caught_up, "the sign-up reaching the replica")
    standby.pause_replay()
    auth = token(b.url, user["username"])  # read from the primary, while the replica is stale
    assert httpx.get(f"{a.url}/users/me", headers=auth, timeout=10).status_code == 200

    post = {
        "title": "Written on A",
        "content": "Read back at once on B, as its author.",
        "published": True,  # anyone may read it, once their replica has it
    }
    created = httpx.post(f"{a.url}/posts", json=post, headers=auth, timeout=10)
    assert created.status_code == 201, created.text
    path = f"/posts/{created.json()['id']}"
    changed = httpx.patch(
        f"{a.url}/users/{user['id']}", json={"city": "Paris"}, headers=auth, timeout=10
    )
    assert changed.status_code == 200, changed.text

    for instance in (b, a):
        mine = httpx.get(f"{instance.url}{path}", headers=auth, timeout=10)
        assert mine.status_code == 200, (instance.url, mine.text)
        me = httpx.get(f"{instance.url}/users/{user['id']}", headers=auth, timeout=10)
        assert me.json()["city"] == "Paris"
        listed = httpx.get(
            f"{instance.url}/posts", params={"author_id": user["id"]}, headers=auth, timeout=10
        )
        assert [p["title"] for p in listed.json()["items"]] == ["Written on A"]
        # Anyone else reads the replica, as stale as the lag bound allows.
        assert httpx.get(f"{instance.url}{path}", timeout=10).status_code == 404
        stale = httpx.get(f"{instance.url}/users/{user['id']}", timeout=10)
        assert stale.json()["city"] != "Paris"

    standby.resume_replay()
    eventually(
        lambda: httpx.get(f"{b.url}{path}", timeout=10).status_code == 200,
        "the post reaching anonymous readers",
    )


def test_cursors_stay_valid_whichever_instance_serves_the_next_page(
    standby: Replicated, pair: list[ServedInstance]
) -> None:
    a, b = pair
    for _ in range(3):
        sign_up(a.url)
    eventually(standby.caught_up, "the sign-ups reaching the replica")
    first = httpx.get(f"{a.url}/users", params={"limit": 2, "count": "false"}, timeout=10)
    cursor = first.json()["next_cursor"]
    assert cursor
    second = httpx.get(
        f"{b.url}/users", params={"limit": 2, "count": "false", "after": cursor}, timeout=10
    )
    assert second.status_code == 200, second.text
    first_ids = [u["id"] for u in first.json()["items"]]
    second_ids = [u["id"] for u in second.json()["items"]]
    assert second_ids and min(second_ids) > max(first_ids)


def test_logins_throttle_and_log_outs_hold_across_instances(pair: list[ServedInstance]) -> None:
    a, b = pair
    user = sign_up(a.url)
    for instance in (a, b, a, b, b):
        assert log_in(instance.url, user["username"], "wrong password").status_code == 401
    for instance in (a, b):
        assert log_in(instance.url, user["username"]).status_code == 429

    other = sign_up(b.url)
    auth = token(a.url, other["username"])
    assert httpx.get(f"{b.url}/users/me", headers=auth, timeout=10).status_code == 200
    assert httpx.post(f"{a.url}/auth/logout", headers=auth, timeout=10).status_code == 204
    assert httpx.get(f"{b.url}/users/me", headers=auth, timeout=10).status_code == 401


def test_a_replica_behind_the_lag_bound_is_not_read(
    standby: Replicated, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    env = {**_env(standby, redis_server, 1), "METRICS_ENABLED": "true"}
    name = standby.replica_name
    with served(1, env, tmp_path) as (api,):
        eventually(lambda: replica_states(api.url) == ["ok"], "the replica in use")
        assert f'db_replica_up{{replica="{name}"}} 1.0' in httpx.get(f"{api.url}/metrics").text
        standby.pause_replay()
        user = sign_up(api.url)  # the primary moves on; the replica does not
        eventually(lambda: replica_states(api.url) == ["lagging"], "the replica lagging")
        health = httpx.get(f"{api.url}/health", timeout=10).json()["replicas"]
        assert health[0]["name"] == name
        assert health[0]["lag_seconds"] is None or health[0]["lag_seconds"] > 1
        metrics = httpx.get(f"{api.url}/metrics", timeout=10).text
        assert f'db_replica_up{{replica="{name}"}} 0.0' in metrics
        assert f'db_replica_lag_seconds{{replica="{name}"}}' in metrics
        # Anyone's read now comes from the primary: the new account is there.
        assert httpx.get(f"{api.url}/users/{user['id']}", timeout=10).status_code == 200
        standby.resume_replay()
        eventually(lambda: replica_states(api.url) == ["ok"], "the replica back within the bound")


def test_a_stopped_replica_costs_no_error_and_is_read_again_once_back(
    standby: Replicated, pair: list[ServedInstance]
) -> None:
    a, b = pair
    user = sign_up(a.url)
    eventually(standby.caught_up, "the sign-up reaching the replica")
    statuses: list[int] = []
    stop = threading.Event()

    def read(base: str) -> None:
        with httpx.Client(base_url=base, timeout=10) as client:
            while not stop.is_set():
                statuses.append(client.get(f"/users/{user['id']}").status_code)

    readers = [threading.Thread(target=read, args=(i.url,)) for i in (a, b, a, b)]
    for reader in readers:
        reader.start()
    try:
        eventually(lambda: len(statuses) > 20, "reads before the stop")
        standby.stop_replica()
        eventually(lambda: replica_states(a.url) == ["down"], "A seeing the replica down")
        eventually(lambda: replica_states(b.url) == ["down"], "B seeing the replica down")
        during = len(statuses)
        eventually(lambda: len(statuses) > during + 20, "reads while the replica is down")
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert set(statuses) == {200}, sorted(set(statuses))

    standby.start_replica()
    eventually(lambda: replica_states(a.url) == replica_states(b.url) == ["ok"], "replica back")
    before = standby.reads(True, "users")
    for instance in (a, b) * 5:
        assert httpx.get(f"{instance.url}/users/{user['id']}", timeout=10).status_code == 200
    eventually(lambda: standby.reads(True, "users") >= before + 10, "reads reaching it again")


async def _in_own_context(request: Awaitable[httpx.Response]) -> httpx.Response:
    # Each request in a context of its own, as uvicorn runs each in a task of its own.
    return await asyncio.create_task(_awaited(request), context=contextvars.Context())


async def _awaited(request: Awaitable[httpx.Response]) -> httpx.Response:
    return await request


@pytest.mark.anyio
async def test_one_instance_without_redis_keeps_positions_itself(standby: Replicated) -> None:
    settings = {"database_url": standby.primary_url, "database_read_urls": standby.replica_url}
    async with in_process(**settings, database_read_max_lag=60) as (app, api):
        assert app.state.shared.remote is None
        body = sign_up_body("grace@example.com")
        user = (await _in_own_context(api.post("/users", json=body))).json()
        await asyncio.to_thread(eventually, standby.caught_up, "the sign-up replayed")
        standby.pause_replay()
        form = {"username": body["username"], "password": PASSWORD}
        answer = await _in_own_context(api.post("/auth/token", data=form))
        auth = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        change = api.patch(f"/users/{user['id']}", json={"city": "Arlington"}, headers=auth)
        assert (await _in_own_context(change)).status_code == 200
        mine = await _in_own_context(api.get(f"/users/{user['id']}", headers=auth))
        theirs = await _in_own_context(api.get(f"/users/{user['id']}"))
        assert mine.json()["city"] == "Arlington" and theirs.json()["city"] != "Arlington"
