"""The faults each backend goes through, written once: every test module runs these.

A scenario drives a real service under a steady request load (``Load``),
breaks its database through a ``Controls`` and checks every answer. Server
commands run in a thread so the load keeps its pace meanwhile. Each returns
what it measured; ``report`` prints it (``pytest -s`` shows it; the README
quotes it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tests.faults.checks import (
    BOUND,
    acknowledged_emails,
    assert_answers_without_database,
    assert_health_down,
    assert_no_server_error,
    assert_succeeded,
    assert_unavailable,
    stored_emails,
)
from tests.faults.load import Load, user_body, writes_only
from tests.faults.service import Service

STEADY = 12
"""Requests that must succeed before a fault, and again after recovery."""
READY_SECONDS = 60.0


@dataclass
class Controls:
    """How a test breaks and mends one database, and what ``/health`` calls it."""

    database: str
    """``/health``'s ``database`` field: postgresql, mysql, mongoeco, sqlite."""
    stop: Callable[[], None]
    start: Callable[[], None]
    """Start again; may return before the server accepts connections."""
    ready: Callable[[], bool]
    freeze: Callable[[], None]
    thaw: Callable[[], None]
    secrets: list[str] = field(default_factory=list)
    """Words a client must never see: the server's host and port."""


def report(name: str, figures: dict[str, object]) -> None:
    """Print what a scenario measured, one line (``pytest -s`` shows it)."""
    parts = ", ".join(f"{key}={value}" for key, value in figures.items())
    print(f"\n[faults] {name}: {parts}")


async def seed_user(base_url: str) -> int:
    """Create the user the load reads; its id."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post("/users", json=user_body("seed"))
        assert response.status_code == 201, response.text
        user_id: int = response.json()["id"]
        return user_id


async def _wait_ready(controls: Controls) -> float:
    deadline = time.monotonic() + READY_SECONDS
    while not await asyncio.to_thread(controls.ready):
        assert time.monotonic() < deadline, "the database did not come back"
        await asyncio.sleep(0.02)
    return time.monotonic()


async def outage_and_recovery(service: Service, controls: Controls) -> dict[str, object]:
    """Stop the database under load, check the 503s, start it again, check recovery.

    Also: every request sent while it was starting is a 503 or a success
    (PostgreSQL refuses connections for a moment then, with its own error);
    every sign-up acknowledged before the stop is still there afterwards.
    """
    user = await seed_user(service.base_url)
    async with (
        Load(service.base_url, user) as load,
        httpx.AsyncClient(base_url=service.base_url, timeout=30) as probe,
    ):
        begin = time.monotonic()
        await load.wait_for(STEADY, since=begin)
        assert_succeeded(load.started_between(begin, time.monotonic()), "before the outage")

        await asyncio.to_thread(controls.stop)
        stopped = time.monotonic()
        health_seconds = await assert_health_down(probe, controls.database, controls.secrets)
        await assert_answers_without_database(probe)
        await load.wait_for(load.workers, since=stopped, seconds=4 * BOUND)
        down = load.started_between(stopped, time.monotonic())
        assert_unavailable(down, "while the database was down")

        await asyncio.to_thread(controls.start)
        starting = time.monotonic()
        ready = await _wait_ready(controls)
        window = load.started_between(starting, ready)
        assert_no_server_error(window, "while the database was starting")

        await load.wait_for(STEADY, since=ready, seconds=4 * BOUND)
        after = load.started_between(ready, time.monotonic())
        assert_succeeded(after, "once the database was back (the first requests)")
        first_success = min(o.ended for o in after) - ready

    assert_no_server_error(load.outcomes, "over the whole run")
    acknowledged = acknowledged_emails(load.outcomes)
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
        missing = acknowledged - await stored_emails(client)
    assert not missing, f"{len(missing)} acknowledged sign-ups lost: {sorted(missing)[:5]}"
    return {
        "503s while down": len(down),
        "slowest 503 s": round(max(o.seconds for o in down), 2),
        "health 503 s": round(health_seconds, 2),
        "requests while starting": len(window),
        "503s while starting": sum(o.status == 503 for o in window),
        "first success after ready s": round(first_success, 2),
        "acknowledged sign-ups kept": len(acknowledged),
    }


async def quiet_restart(service: Service, controls: Controls) -> dict[str, object]:
    """Restart the database while the service is idle: its first requests must succeed.

    The burst before fills both pools with connections that the restart
    kills; nobody uses them meanwhile, so only the service can notice.
    """
    user = await seed_user(service.base_url)
    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30, limits=limits) as client:

        async def burst() -> list[httpx.Response]:
            calls = [client.get(f"/users/{user}") for _ in range(8)]
            calls += [client.post("/users", json=user_body("quiet")) for _ in range(8)]
            return await asyncio.gather(*calls)

        for response in await burst():
            assert response.is_success, response.text
        await asyncio.to_thread(controls.stop)
        await asyncio.to_thread(controls.start)
        ready = await _wait_ready(controls)
        first = await burst()
        took = time.monotonic() - ready
    failed = [f"{r.request.method} {r.status_code} {r.text}" for r in first if not r.is_success]
    assert not failed, f"first requests after a restart failed: {failed}"
    return {"first 16 requests after restart s": round(took, 2)}


async def freeze_and_thaw(service: Service, controls: Controls) -> dict[str, object]:
    """SIGSTOP the database under load: 503s within the bound; SIGCONT: recovery."""
    user = await seed_user(service.base_url)
    async with (
        Load(service.base_url, user) as load,
        httpx.AsyncClient(base_url=service.base_url, timeout=30) as probe,
    ):
        begin = time.monotonic()
        await load.wait_for(STEADY, since=begin)

        await asyncio.to_thread(controls.freeze)
        frozen = time.monotonic()
        health_seconds = await assert_health_down(probe, controls.database, controls.secrets)
        await assert_answers_without_database(probe)
        await load.wait_for(load.workers, since=frozen, seconds=4 * BOUND)
        stuck = load.started_between(frozen, time.monotonic())
        assert_unavailable(stuck, "while the database was frozen")
        first_503 = min(o.ended for o in load.outcomes if o.ended > frozen and o.status == 503)

        await asyncio.to_thread(controls.thaw)
        thawed = time.monotonic()
        await load.wait_for(STEADY, since=thawed, seconds=4 * BOUND)
        after = load.started_between(thawed, time.monotonic())
        assert_succeeded(after, "after SIGCONT (the first requests)")
        first_success = min(o.ended for o in after) - thawed

    assert_no_server_error(load.outcomes, "over the whole run")
    slowest = max(o.seconds for o in load.outcomes)
    assert slowest <= BOUND + 2.0, f"a request waited {slowest:.2f} s"
    return {
        "first 503 after SIGSTOP s": round(first_503 - frozen, 2),
        "slowest request s": round(slowest, 2),
        "health 503 s": round(health_seconds, 2),
        "first success after SIGCONT s": round(first_success, 2),
    }


@dataclass
class CrashCount:
    """What a crash under writes kept: the client's view against the store's."""

    acknowledged: int
    kept: int
    lost: list[str]
    unacknowledged_kept: int
    """Sign-ups whose answer the crash swallowed but that were stored: allowed."""

    def as_figures(self) -> dict[str, object]:
        """For ``report``."""
        return {
            "acknowledged": self.acknowledged,
            "acknowledged kept": self.kept,
            "lost": len(self.lost),
            "stored without acknowledgement": self.unacknowledged_kept,
        }


async def crash_under_writes(
    service: Service,
    crash: Callable[[], None],
    recover: Callable[[], None],
    *,
    workers: int = 8,
    acknowledged_before_crash: int = 150,
) -> CrashCount:
    """Sign up users concurrently, ``crash`` mid-load, ``recover``, count what is stored.

    ``crash`` kills the service or its database (SIGKILL); ``recover``
    brings it back and returns once the service answers again.
    """
    user = await seed_user(service.base_url)
    async with Load(service.base_url, user, workers=workers, mix=writes_only) as load:
        deadline = time.monotonic() + 60
        while len(acknowledged_emails(load.outcomes)) < acknowledged_before_crash:
            assert time.monotonic() < deadline, "the service acknowledged too few sign-ups"
            await asyncio.sleep(0.01)
        crash()  # not in a thread: the load must not see one more answer meanwhile
    await asyncio.to_thread(recover)
    acknowledged = acknowledged_emails(load.outcomes)
    sent = {o.email for o in load.outcomes if o.email is not None}
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
        stored = await stored_emails(client)
    lost = sorted(acknowledged - stored)
    return CrashCount(
        acknowledged=len(acknowledged),
        kept=len(acknowledged & stored),
        lost=lost,
        unacknowledged_kept=len((sent - acknowledged) & stored),
    )
