"""A private PostgreSQL cluster stopped, restarted, frozen and slowed under the real service."""

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
from tests.faults.servers import PrivatePostgres
from tests.faults.service import Service, migrate

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def service(
    postgres: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """``python -m api serve`` on the private cluster, default timeouts."""
    env = {"STORAGE_BACKEND": "sql", "DATABASE_URL": postgres.url}
    migrate(env)
    server = Service(env, tmp_path_factory.mktemp("pg-service") / "service.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def controls(postgres: PrivatePostgres) -> Controls:
    """``pg_ctl stop -m immediate`` (a crash to clients), ``pg_ctl start`` without waiting."""
    return Controls(
        database="postgresql",
        stop=lambda: postgres.stop("immediate"),
        start=lambda: postgres.start(wait=False),
        ready=postgres.accepting,
        freeze=postgres.freeze,
        thaw=postgres.thaw,
        secrets=["127.0.0.1", str(postgres.port)],
    )


async def test_outage_start_up_window_and_recovery(service: Service, controls: Controls) -> None:
    report("postgres outage", await outage_and_recovery(service, controls))


async def test_first_requests_after_an_idle_restart_succeed(
    service: Service, controls: Controls
) -> None:
    report("postgres idle restart", await quiet_restart(service, controls))


async def test_frozen_server_gives_503s_within_the_bound(
    service: Service, controls: Controls
) -> None:
    report("postgres SIGSTOP", await freeze_and_thaw(service, controls))


async def test_slow_query_is_a_504(postgres: PrivatePostgres) -> None:
    report("postgres slow query", await slow.slow_query(postgres.url, "SELECT pg_sleep(30)"))


async def test_row_lock_wait_is_a_504(postgres: PrivatePostgres) -> None:
    lock = "SELECT id FROM users WHERE id = :id FOR UPDATE"
    report("postgres lock wait", await slow.row_lock_wait(postgres.url, lock))


async def test_kill_9_loses_no_acknowledged_write(service: Service) -> None:
    count = await crash_under_writes(service, service.kill, service.start)
    report("postgres kill -9 service", count.as_figures())
    assert not count.lost, f"acknowledged sign-ups lost: {count.lost[:5]}"
