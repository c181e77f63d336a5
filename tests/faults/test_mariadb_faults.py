"""A private MariaDB instance killed, restarted, frozen and slowed under the real service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults import slow
from tests.faults.scenarios import (
    Controls,
    crash_under_writes,
    freeze_and_thaw,
    outage_and_recovery,
    quiet_restart,
    report,
)
from tests.faults.servers import PrivateMariaDB
from tests.faults.service import Service, migrate

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def service(mariadb: PrivateMariaDB, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``python -m api serve`` on the private instance, default timeouts."""
    env = {"STORAGE_BACKEND": "sql", "DATABASE_URL": mariadb.url}
    migrate(env)
    server = Service(env, tmp_path_factory.mktemp("mariadb-service") / "service.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def controls(mariadb: PrivateMariaDB) -> Controls:
    """``kill -9`` of mariadbd (InnoDB recovers on start), started again without waiting."""
    return Controls(
        database="mysql",
        stop=mariadb.kill,
        start=lambda: mariadb.start(wait=False),
        ready=mariadb.accepting,
        freeze=mariadb.freeze,
        thaw=mariadb.thaw,
        secrets=["127.0.0.1", str(mariadb.port)],
    )


async def test_outage_and_recovery(service: Service, controls: Controls) -> None:
    report("mariadb outage", await outage_and_recovery(service, controls))


async def test_first_requests_after_an_idle_restart_succeed(
    service: Service, controls: Controls
) -> None:
    report("mariadb idle restart", await quiet_restart(service, controls))


async def test_frozen_server_gives_503s_within_the_bound(
    service: Service, controls: Controls
) -> None:
    report("mariadb SIGSTOP", await freeze_and_thaw(service, controls))


async def test_slow_query_is_a_504(mariadb: PrivateMariaDB) -> None:
    report("mariadb slow query", await slow.slow_query(mariadb.url, "SELECT SLEEP(30)"))


async def test_row_lock_wait_is_a_504(mariadb: PrivateMariaDB) -> None:
    lock = "SELECT id FROM users WHERE id = :id FOR UPDATE"
    report("mariadb lock wait", await slow.row_lock_wait(mariadb.url, lock))


async def test_kill_9_loses_no_acknowledged_write(service: Service) -> None:
    count = await crash_under_writes(service, service.kill, service.start)
    report("mariadb kill -9 service", count.as_figures())
    assert not count.lost, f"acknowledged sign-ups lost: {count.lost[:5]}"
