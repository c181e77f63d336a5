"""The mongoeco stand-in (own process, SQLite engine) stopped, frozen, killed under the service.

The stand-in is not MongoDB (``storage/mongo/standin.py``): these tests show
that the Mongo backend's timeouts and error translation hold against a
server that goes away over the wire, and what the stand-in itself keeps
when it is killed. A real MongoDB's durability is MongoDB's (journal, w:majority).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.faults.scenarios import (
    Controls,
    crash_under_writes,
    freeze_and_thaw,
    outage_and_recovery,
    quiet_restart,
    report,
)
from tests.faults.servers import StandinServer, wait_until
from tests.faults.service import Service, migrate

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def service(standin: StandinServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``python -m api serve`` on the stand-in, default timeouts."""
    env = {"STORAGE_BACKEND": "mongo", "MONGO_URL": standin.url}
    migrate(env)
    server = Service(env, tmp_path_factory.mktemp("mongo-service") / "service.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def controls(standin: StandinServer) -> Controls:
    """SIGTERM the stand-in (it closes its file), start it again on the same file and port."""
    return Controls(
        database="mongoeco",
        stop=standin.terminate,
        start=standin.start,
        ready=lambda: True,  # start() returns once it listens
        freeze=standin.freeze,
        thaw=standin.thaw,
        secrets=["127.0.0.1", str(standin.port)],
    )


async def test_outage_and_recovery(service: Service, controls: Controls) -> None:
    report("mongo outage", await outage_and_recovery(service, controls))


async def test_first_requests_after_an_idle_restart_succeed(
    service: Service, controls: Controls
) -> None:
    report("mongo idle restart", await quiet_restart(service, controls))


async def test_frozen_server_gives_503s_within_the_bound(
    service: Service, controls: Controls
) -> None:
    report("mongo SIGSTOP", await freeze_and_thaw(service, controls))


async def test_kill_9_of_the_service_loses_no_acknowledged_write(service: Service) -> None:
    count = await crash_under_writes(service, service.kill, service.start)
    report("mongo kill -9 service", count.as_figures())
    assert not count.lost, f"acknowledged sign-ups lost: {count.lost[:5]}"


async def test_kill_9_of_the_standin_loses_no_acknowledged_write(
    service: Service, standin: StandinServer
) -> None:
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
