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

from contextlib import AsyncExitStack
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.errors import TimedOut, Unavailable
from storage.sql.errors import translate_errors
from storage.sql.replicas import ReadRouter, ReadTarget


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
