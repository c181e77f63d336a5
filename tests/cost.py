"""Counting what a request costs: Python function calls, deterministic on any machine.

A profile hook counts every Python and built-in function call made while an
ASGI app answers a request, in every thread (SQLite reads run in a worker
thread; nothing else in the process works meanwhile). What depends on timing
is left out: the event loop's scheduling and the thread hand-off (how often
the loop polls before the worker is done), and the test's own ASGI plumbing.
The garbage collector is paused so no finaliser runs at a random point. What
remains is the work of the service, FastAPI, pydantic and the driver: the same
count on every run (the median of a few requests, see ``calls_per_request``).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

# Scheduling, not work: how many loop turns a hand-off takes varies with timing.
TIMING_DEPENDENT = ("asyncio", "selectors", "threading", "concurrent", "queue", "_weakrefset")
HARNESS = __name__


def _counted(frame: FrameType) -> bool:
    module = frame.f_globals.get("__name__", "")
    return not (module.startswith(TIMING_DEPENDENT) or module == HARNESS)


def scope_for(
    method: str, target: str, headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    """An HTTP scope as a server would build it for ``method target``."""
    path, _, query = target.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"test"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
        "state": {},
    }


async def call(app: ASGIApp, scope: dict[str, Any], body: bytes = b"") -> tuple[int, bytes]:
    """Answer one request in process; its status and body."""
    messages: list[dict[str, Any]] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(dict(scope), receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, content


async def calls_per_request(
    app: ASGIApp, scope: dict[str, Any], body: bytes = b"", requests: int = 10
) -> int:
    """Function calls one request makes, after warm-up, in every thread: the median of ``requests``.

    Raises unless the requests succeeded and cost the same, give or take a
    driver thread's last few calls (see below).
    """
    for _ in range(5):  # statements prepared, caches filled
        status, content = await call(app, scope, body)
        assert status < 400, (status, content)
    count = 0

    def hook(frame: FrameType, event: str, _arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call") and _counted(frame):
            count += 1

    counts = []
    gc.disable()
    threading.setprofile_all_threads(hook)
    threading.setprofile(hook)
    try:
        for _ in range(requests):
            count = 0
            await call(app, scope, body)
            counts.append(count)
    finally:
        threading.setprofile_all_threads(None)
        threading.setprofile(None)
        gc.enable()
    counts.sort()
    # A driver's worker thread may finish its loop iteration (a debug log call)
    # after it handed the answer over: those few calls land in this request's
    # count or the next one's. The median is the request's own; the spread
    # stays within that, or something else varies and the count means nothing.
    assert counts[-1] - counts[0] <= 10, f"the same request cost {counts} calls"
    return counts[len(counts) // 2]
