"""The stores' ``ReadPool`` when there are replicas (or Galera): each read where the router says.

``RoutedReads.run`` asks the ``ReadRouter`` for a target (no round trip; see
``storage.sql.replicas``) and runs the read operation on that target's pool.
A read that a replica fails (the server stopped, the link broke, it did not
answer within the statement's bound, the driver gave up on a connection the
replica broke) goes on on the primary from the statement that failed: a
read operation is a generator of queries (``storage.sql.prepared``), so the
statements the replica answered stand and the rest run on the primary. The
client sees the answer, never the replica's failure; the replica is left out
until the monitor reaches it again. A statement the replica *cancelled*
(``TimedOut``: too slow) is not sent again: it would be as slow on the
primary; nor is an error of the operation itself (``NotFound``).

``FreshReads`` runs reads that must see every committed write (a log-in) on
the primary, and notes where the primary stood for the request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable

from storage import consistency
from storage.consistency import Position
from storage.errors import Conflict, NotFound, PreconditionFailed, TimedOut
from storage.instrumentation import PoolUsage
from storage.sql.driver_errors import translate_driver_errors
from storage.sql.prepared import Query, Read, Row
from storage.sql.read_pools import ReadPool
from storage.sql.replicas import ReadRouter, ReadTarget
from storage.timeouts import Timeouts

logger = logging.getLogger("storage")

type Noting = Callable[[], Awaitable[Position]]
"""Where the primary stands now (``Replication.primary_position``)."""


class _Resumable[T]:
    """A read operation that can go on elsewhere from the query it is waiting on."""

    def __init__(self, read: Read[T]) -> None:
        self._read = read
        self._waiting: Query | None = None
        self.raised = False
        """The operation itself raised (a ``NotFound``, a bug): nothing to go on with."""

    def run(self) -> Read[T]:
        """The operation, remembering which query is out."""
        query = self._step(None)
        while True:
            self._waiting = query
            rows = yield query
            self._waiting = None
            try:
                query = self._step(rows)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    def _step(self, rows: list[Row] | None) -> Query:
        try:
            return next(self._read) if rows is None else self._read.send(rows)
        except StopIteration:
            raise
        except BaseException:
            self.raised = True
            raise

    def rest(self) -> Read[T]:
        """What is left: the whole operation if it never started, else from the query out."""
        waiting = self._waiting
        return self._read if waiting is None else self._from(waiting)

    def _from(self, query: Query) -> Read[T]:
        while True:
            rows = yield query
            try:
                query = self._read.send(rows)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]


class RoutedReads:
    """A ``ReadPool`` over the primary's pool and the replicas' (each target's ``executor``)."""

    def __init__(self, router: ReadRouter[ReadPool], timeouts: Timeouts) -> None:
        self.router = router
        self._timeouts = timeouts

    async def run[T](self, read: Read[T], *, by_key: bool = False) -> T:
        """Run ``read`` where the router says; on the primary from where a replica failed."""
        context = consistency.current()
        router = self.router
        target = router.choose(context.required if context is not None else None)
        if target.is_primary:
            return await target.executor.run(read, by_key=by_key)
        resumable = _Resumable(read)
        # One deadline over both tries: a replica that fails late leaves the primary the rest.
        with translate_driver_errors():
            async with asyncio.timeout(self._timeouts.operation):
                try:
                    return await target.executor.run(resumable.run(), by_key=by_key)
                except (TimedOut, NotFound, Conflict, PreconditionFailed):
                    raise  # the answer, or a statement as slow on the primary
                except Exception as exc:
                    if resumable.raised:
                        raise  # the operation's own error, not the replica's
                    # Unavailable, and whatever else the driver raised on a
                    # connection the replica broke (asyncpg, after a shutdown:
                    # "another operation is in progress"): the primary goes on.
                    logger.warning(
                        "read on replica %s failed, moved to the primary: %s",
                        target.name,
                        _line(exc),
                    )
                    router.failed(target)
                return await router.fresh.executor.run(resumable.rest(), by_key=by_key)

    def usage(self) -> PoolUsage | None:
        """The primary's read pool (the replicas' are reported by ``Replication.pools``)."""
        return self.router.primary.executor.usage()

    async def close(self) -> None:
        """Close every target's pool."""
        for target in self.targets():
            await target.executor.close()

    def targets(self) -> list[ReadTarget[ReadPool]]:
        """The primary, the primary for fresh reads (if its own), the replicas."""
        router = self.router
        fresh = [] if router.fresh is router.primary else [router.fresh]
        return [router.primary, *fresh, *router.replicas]


class FreshReads:
    """A ``ReadPool`` for reads that must see every committed write: the primary's."""

    def __init__(self, router: ReadRouter[ReadPool], note: Noting) -> None:
        self.router = router
        self._note = note

    async def run[T](self, read: Read[T], *, by_key: bool = False) -> T:
        """Run ``read`` on the primary, then note for the request where the primary stood."""
        result = await self.router.fresh.executor.run(read, by_key=by_key)
        context = consistency.current()
        if context is not None:
            context.noted(await self._note())
        return result

    def usage(self) -> PoolUsage | None:
        """Reported by ``RoutedReads``."""
        return None

    async def close(self) -> None:
        """Closed by ``RoutedReads``."""


def renamed(usage: PoolUsage | None, pool: str) -> PoolUsage | None:
    """``usage`` reported under another pool name (a replica's read pool)."""
    return None if usage is None else dataclasses.replace(usage, pool=pool)


def _line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
