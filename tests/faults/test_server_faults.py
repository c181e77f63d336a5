"""Private database servers stopped, restarted, frozen, killed and slowed under the real service.

One module for every server: a private PostgreSQL cluster, a private MariaDB
instance and the mongoeco stand-in (its own process, SQLite engine). Each
scenario of ``tests/faults/scenarios.py`` runs against each enabled server
(``tests/faults/enabling.py``), started once for all of them, under
``python -m api serve`` with default timeouts, and removed at the end.

The stand-in is not MongoDB (``storage/mongo/standin.py``): its tests show
that the Mongo backend's timeouts and error translation hold against a
server that goes away over the wire, and what the stand-in itself keeps when
it is killed. A real MongoDB's durability is MongoDB's (journal, w:majority).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.faults import slow
from tests.faults.enabling import enabled
from tests.faults.scenarios import (
    Controls,
    crash_under_writes,
    freeze_and_thaw,
    outage_and_recovery,
    quiet_restart,
    report,
)
from tests.faults.servers import PrivateMariaDB, PrivatePostgres, StandinServer, wait_until
from tests.faults.service import Service, migrate

pytestmark = pytest.mark.anyio

Server = PrivatePostgres | PrivateMariaDB | StandinServer


@dataclass(frozen=True)
class Target:
    """One kind of server, and how the scenarios start, break and mend it."""

    name: str
    start: Callable[[], Server]
    env: Callable[[Any], dict[str, str]]
    controls: Callable[[Any], Controls]
    slow_sql: str = ""
    """SQL: a statement that outlasts any statement timeout."""
    lock_sql: str = ""
    """SQL: the statement that holds a user's row lock."""


def _private_sql(server: PrivatePostgres | PrivateMariaDB) -> PrivatePostgres | PrivateMariaDB:
    server.start()
    server.create_database()
    return server


def _standin() -> StandinServer:
    server = StandinServer()
    server.start()
    return server


def _sql_controls(
    server: PrivatePostgres | PrivateMariaDB, database: str, stop: Callable[[], None]
) -> Controls:
    """Stop as asked; start again without waiting for the server to accept connections."""
    return Controls(
        database=database,
        stop=stop,
        start=lambda: server.start(wait=False),
        ready=server.accepting,
        freeze=server.freeze,
        thaw=server.thaw,
        secrets=["127.0.0.1", str(server.port)],
    )


LOCK_SQL = "SELECT id FROM users WHERE id = :id FOR UPDATE"
POSTGRES = Target(
    "postgres",
    lambda: _private_sql(PrivatePostgres()),
    lambda pg: {"STORAGE_BACKEND": "sql", "DATABASE_URL": pg.url},
    # pg_ctl stop -m immediate: a crash, to clients.
    lambda pg: _sql_controls(pg, "postgresql", lambda: pg.stop("immediate")),
    slow_sql="SELECT pg_sleep(30)",
    lock_sql=LOCK_SQL,
)
MARIADB = Target(
    "mariadb",
    lambda: _private_sql(PrivateMariaDB()),
    lambda maria: {"STORAGE_BACKEND": "sql", "DATABASE_URL": maria.url},
    # kill -9 of mariadbd (InnoDB recovers on start).
    lambda maria: _sql_controls(maria, "mysql", maria.kill),
    slow_sql="SELECT SLEEP(30)",
    lock_sql=LOCK_SQL,
)
MONGO = Target(
    "mongo",
    _standin,
    lambda standin: {"STORAGE_BACKEND": "mongo", "MONGO_URL": standin.url},
    # SIGTERM the stand-in (it closes its file), start it again on the same file and port.
    lambda standin: Controls(
        database="mongoeco",
        stop=standin.terminate,
        start=standin.start,
        ready=lambda: True,  # start() returns once it listens
        freeze=standin.freeze,
        thaw=standin.thaw,
        secrets=["127.0.0.1", str(standin.port)],
    ),
)
TARGETS = [target for target in (POSTGRES, MARIADB, MONGO) if enabled(target.name)]
SQL_TARGETS = [target for target in TARGETS if target.slow_sql]


@dataclass
class Broken:
    """A running server, the service on it, and the controls that break it."""

    target: Target
    server: Any
    service: Service
    controls: Controls


@pytest.fixture(scope="module", params=TARGETS, ids=lambda target: target.name)
def broken(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Broken]:
    """The private server of this parameter with the service on it; both removed at the end."""
    target: Target = request.param
    server = target.start()
    try:
        env = target.env(server)
        migrate(env)
        service = Service(env, tmp_path_factory.mktemp(f"{target.name}-service") / "service.log")
        service.start()
        try:
            yield Broken(target, server, service, target.controls(server))
        finally:
            service.stop()
    finally:
        server.destroy()


async def test_outage_start_up_window_and_recovery(broken: Broken) -> None:
    figures = await outage_and_recovery(broken.service, broken.controls)
    report(f"{broken.target.name} outage", figures)


async def test_first_requests_after_an_idle_restart_succeed(broken: Broken) -> None:
    figures = await quiet_restart(broken.service, broken.controls)
    report(f"{broken.target.name} idle restart", figures)


async def test_frozen_server_gives_503s_within_the_bound(broken: Broken) -> None:
    figures = await freeze_and_thaw(broken.service, broken.controls)
    report(f"{broken.target.name} SIGSTOP", figures)


async def test_kill_9_of_the_service_loses_no_acknowledged_write(broken: Broken) -> None:
    service = broken.service
    count = await crash_under_writes(service, service.kill, service.start)
    report(f"{broken.target.name} kill -9 service", count.as_figures())
    assert not count.lost, f"acknowledged sign-ups lost: {count.lost[:5]}"


if SQL_TARGETS:  # defined only where a SQL server is enabled: never an empty, skipped test

    @pytest.mark.parametrize("broken", SQL_TARGETS, ids=lambda t: t.name, indirect=True)
    async def test_slow_query_is_a_504(broken: Broken) -> None:
        figures = await slow.slow_query(broken.server.url, broken.target.slow_sql)
        report(f"{broken.target.name} slow query", figures)

    @pytest.mark.parametrize("broken", SQL_TARGETS, ids=lambda t: t.name, indirect=True)
    async def test_row_lock_wait_is_a_504(broken: Broken) -> None:
        figures = await slow.row_lock_wait(broken.server.url, broken.target.lock_sql)
        report(f"{broken.target.name} lock wait", figures)


@pytest.mark.parametrize("broken", [MONGO], ids=lambda t: t.name, indirect=True)
async def test_kill_9_of_the_standin_loses_no_acknowledged_write(broken: Broken) -> None:
    service, standin = broken.service, broken.server

    def recover() -> None:
        standin.start()
        wait_until(lambda: _healthy(service), "the service answering again")

    count = await crash_under_writes(service, standin.kill, recover)
    report("mongo kill -9 stand-in", count.as_figures())
    assert not count.lost, f"the stand-in lost acknowledged sign-ups: {count.lost[:5]}"


def _healthy(service: Service) -> bool:
    try:
        return httpx.get(f"{service.base_url}/health", timeout=10).status_code == 200
    except httpx.TransportError:
        time.sleep(0.1)
        return False
