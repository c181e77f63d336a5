"""One retry rule for every store: a transient failure runs again, all within one deadline.

A storage operation has ``timeouts.operation`` seconds in all (``DB_TIMEOUT``):
its attempts, the pauses between them and every round trip in them. An
attempt that fails transiently (each backend's error module says which
failures are: a deadlock, a serialization failure, a Galera certification
conflict, MongoDB's ``TransientTransactionError``; it raises them as
``Unavailable(transient=True)``) runs again after a pause drawn with full
jitter from ``[0, min(MAX_PAUSE, FIRST_PAUSE * 2**n)]``, so the losers of one
conflict do not meet again in step. No attempt starts, and no pause ends,
past the deadline: the last failure is raised instead (503), and each
backend also cuts the attempt in flight at the deadline (SQL an ``asyncio``
timeout, MongoDB its client-side operation timeout). Where an attempt can
block in a way the deadline cannot cut short (SQLite waits for another
process's write lock in a thread, up to its busy timeout), no attempt starts
without that much time left (``blocking``), so the operation still ends on time.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

from storage.errors import Unavailable

FIRST_PAUSE = 0.002
"""Seconds: the ceiling of the first pause; it doubles with every attempt..."""
MAX_PAUSE = 0.1
"""...up to this."""


def pause_ceiling(attempt: int) -> float:
    """The longest pause before attempt ``attempt + 1`` (attempts count from 1)."""
    return min(MAX_PAUSE, FIRST_PAUSE * 2.0**attempt)


async def retrying[T](
    attempt: Callable[[float], Awaitable[T]],
    seconds: float,
    *,
    blocking: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Run ``attempt(deadline)`` until it succeeds, fails for good, or time runs out.

    ``deadline`` is ``clock() + seconds`` taken once, before the first attempt:
    every attempt gets the same one. Only ``Unavailable(transient=True)`` is
    retried; anything else (a neutral error, a bug) propagates at once.
    ``blocking`` is how long an attempt may outlast its cancellation: a retry
    starts only with at least that much time left. ``clock`` must be the one
    the backend cuts attempts by (the event loop's for SQL).
    """
    deadline = clock() + seconds
    attempts = 0
    while True:
        try:
            return await attempt(deadline)
        except Unavailable as exc:
            if not exc.transient:
                raise
            attempts += 1
            pause = random.uniform(0, pause_ceiling(attempts))
            if clock() + pause + blocking >= deadline:
                raise
        await sleep(pause)
