"""SQL side of ``storage.instrumentation``: statements counted and timed, pools read.

Registered on both engines when ``SqlStorage`` is built, so every statement a
store sends is seen whatever code path sends it.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from storage import instrumentation
from storage.instrumentation import PoolUsage

# Where a statement's start waits for its end, on the connection that runs it.
_PENDING = "storage_round_trip"


def instrument(engine: AsyncEngine) -> None:
    """Report every statement ``engine`` executes to ``storage.instrumentation``."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _before(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        tally = instrumentation.started(statement)
        if tally is not None:
            conn.info[_PENDING] = (tally, perf_counter())

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _after(conn: Connection, *_args: Any) -> None:
        _finish(conn)

    @event.listens_for(sync_engine, "handle_error")
    def _failed(context: ExceptionContext) -> None:
        # A statement that failed was still a round trip, and took time.
        if context.connection is not None:
            _finish(context.connection)


def _finish(conn: Connection) -> None:
    pending = conn.info.pop(_PENDING, None)
    if pending is not None:
        tally, start = pending
        instrumentation.finished(tally, perf_counter() - start)


def pool_usage(engine: AsyncEngine, name: str) -> PoolUsage | None:
    """``engine``'s pool now; ``None`` for a pool without a size (SQLite in memory)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return None
    in_use = pool.checkedout()
    return PoolUsage(name, in_use=in_use, open=in_use + pool.checkedin(), size=pool.size())
