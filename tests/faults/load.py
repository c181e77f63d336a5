"""A steady, bounded request load against a running service, every outcome recorded."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

CLIENT_TIMEOUT = 30.0
"""Far above every bound under test, so the service's timeouts are what we measure."""
MAX_REQUESTS = 20_000
"""No load runs unbounded, whatever a test forgets to stop."""


@dataclass(frozen=True)
class Outcome:
    """One request and what came back (``status`` None: no HTTP answer at all)."""

    method: str
    path: str
    started: float
    ended: float
    status: int | None
    retry_after: str | None = None
    body: str = ""
    error: str | None = None
    email: str | None = None
    """The email of the user a POST tried to create."""

    @property
    def seconds(self) -> float:
        """How long the client waited."""
        return self.ended - self.started

    def __str__(self) -> str:
        answer = self.error or f"{self.status} {self.body[:120]}"
        return f"{self.method} {self.path} after {self.seconds:.2f} s: {answer}"


@dataclass(frozen=True)
class Call:
    """One request of the mix."""

    method: str
    path: str
    json: dict[str, Any] | None = None


def user_body(tag: str) -> dict[str, Any]:
    """A new user whose username and email no other request uses."""
    unique = f"{tag[:8]}-{uuid.uuid4().hex[:20]}"
    return {
        "username": unique,
        "password": "load test password",
        "name": "Load Test",
        "email": f"{unique}@example.com",
        "age": 30,
    }


def reads_and_writes(user_id: int) -> Iterable[Call]:
    """The default mix: a point read, a list, a sign-up; forever."""
    for _ in itertools.count():
        yield Call("GET", f"/users/{user_id}")
        yield Call("GET", "/users?limit=5")
        yield Call("POST", "/users", user_body("load"))


def writes_only(_user_id: int) -> Iterable[Call]:
    """Sign-ups only, each with a new email: the crash tests count them."""
    for _ in itertools.count():
        yield Call("POST", "/users", user_body("crash"))


async def send(client: httpx.AsyncClient, call: Call) -> Outcome:
    """Send ``call``; never raises: a transport error is an outcome too."""
    started = time.monotonic()
    try:
        response = await client.request(call.method, call.path, json=call.json)
    except httpx.HTTPError as exc:
        return Outcome(call.method, call.path, started, time.monotonic(), None, error=repr(exc))
    return Outcome(
        call.method,
        call.path,
        started,
        time.monotonic(),
        response.status_code,
        response.headers.get("retry-after"),
        response.text,
    )


@dataclass
class Load:
    """``workers`` loops sending requests from ``calls`` over keep-alive connections.

    Use as ``async with Load(...) as load:``; the loops stop when the block
    ends (or after ``MAX_REQUESTS``). ``outcomes`` holds every request, in
    the order they ended.
    """

    base_url: str
    user_id: int
    workers: int = 4
    mix: Callable[[int], Iterable[Call]] = reads_and_writes
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Load:
        # As many connections as workers: each is reused, so a connection the
        # service drops after an error shows up as a transport error.
        limits = httpx.Limits(max_connections=self.workers, max_keepalive_connections=self.workers)
        self._client = httpx.AsyncClient(
            base_url=self.base_url, timeout=CLIENT_TIMEOUT, limits=limits
        )
        self._tasks = [asyncio.create_task(self._loop()) for _ in range(self.workers)]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        assert self._client is not None
        await self._client.aclose()

    async def _loop(self) -> None:
        assert self._client is not None
        for call in self.mix(self.user_id):
            if self._stop.is_set() or len(self.outcomes) >= MAX_REQUESTS:
                return
            self.outcomes.append(await send(self._client, call))

    def started_between(self, start: float, end: float = float("inf")) -> list[Outcome]:
        """Outcomes of the requests sent in ``[start, end)``."""
        return [o for o in self.outcomes if start <= o.started < end]

    async def wait_for(self, count: int, since: float, seconds: float = 30.0) -> None:
        """Wait until ``count`` requests sent after ``since`` have ended."""
        deadline = time.monotonic() + seconds
        while len(self.started_between(since)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"fewer than {count} requests ended within {seconds:.0f} s")
            await asyncio.sleep(0.05)
