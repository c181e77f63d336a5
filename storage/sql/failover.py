"""A replica's read connection that moves to the primary when the replica fails mid-read.

Reads run autocommit, one statement at a time, so a statement that did not
get its answer from a replica (the server stopped, the connection broke, it
did not answer within the statement's bound) can be sent again to the
primary: the client sees the answer, never the replica's failure. The
replica is reported to the router at once, so the next reads go elsewhere
until the monitor reaches it again.

A statement the replica *cancelled* (``TimedOut``: too slow) is not sent
again: it would be as slow on the primary.
"""

from __future__ import annotations

import contextlib
from contextlib import AsyncExitStack
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.errors import TimedOut, Unavailable
from storage.sql.errors import translate_errors
from storage.sql.replicas import ReadRouter, ReadTarget


async def replica_connection(engine: AsyncEngine, stack: AsyncExitStack) -> AsyncConnection:
    """A connection to a replica, closed with ``stack``, where a failing close is no error.

    Closing returns the connection to the pool, which can cost a round trip
    (asyncmy sends a ROLLBACK even in autocommit mode): a replica that went
    away after answering must not turn the answer into a 503.
    """
    conn = await engine.connect().start()
    stack.push_async_callback(_close_quietly, conn)
    return conn


async def _close_quietly(conn: AsyncConnection) -> None:
    # A close that fails has closed all the same: SQLAlchemy invalidated the
    # connection (the pool opens a new one); the read's answer stands.
    with contextlib.suppress(SQLAlchemyError, OSError, TimeoutError):
        await conn.close()


class FailoverConnection:
    """Runs statements on a replica's connection, then on the primary's once the replica fails."""

    def __init__(
        self,
        conn: AsyncConnection,
        target: ReadTarget[AsyncEngine],
        router: ReadRouter[AsyncEngine],
        stack: AsyncExitStack,
    ) -> None:
        self._conn = conn
        self._target: ReadTarget[AsyncEngine] | None = target
        self._router = router
        self._stack = stack

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        """``AsyncConnection.execute``, on the primary if the replica fails."""
        if self._target is not None:
            try:
                with translate_errors():
                    return await self._conn.execute(*args, **kwargs)
            except TimedOut:
                raise
            except Unavailable:
                await self._to_primary()
        return await self._conn.execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        """``AsyncConnection.scalar``, on the primary if the replica fails."""
        return (await self.execute(*args, **kwargs)).scalar()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def _to_primary(self) -> None:
        assert self._target is not None
        self._router.failed(self._target)
        self._target = None
        self._conn = await self._stack.enter_async_context(self._router.fresh.executor.connect())
