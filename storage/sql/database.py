"""Sessions scoped to one storage operation: read, or write-and-commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from storage import consistency
from storage.consistency import UNKNOWN
from storage.errors import StorageError, Unavailable
from storage.retry import retrying
from storage.sql.engine import SQLITE_WRITE
from storage.sql.errors import translate_errors
from storage.sql.queries import binary
from storage.sql.read_pools import EngineReads, ReadPool
from storage.timeouts import Timeouts

if TYPE_CHECKING:
    from storage.sql.replication import Replication

T = TypeVar("T")


class Database:
    """The engines of one database plus the ways a repository uses them.

    ``engine`` runs transactions (writes); ``reads`` runs read operations on
    the driver's own pool; ``read_engine`` runs autocommit statements for bulk
    reads (copies). Every operation ends within ``timeouts.operation``: each
    wait is bounded (connect, pool, statement), and one deadline bounds their
    sum, a transaction's retries included (``transaction``).

    With ``replication`` (read replicas, Galera: ``storage.sql.replication``),
    ``reads`` go where its router says, ``fresh`` reads (that must see every
    committed write) to the primary, and every commit reports the primary's
    position to the request's ``storage.consistency`` context.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        read_engine: AsyncEngine,
        timeouts: Timeouts | None = None,
        reads: ReadPool | None = None,
        replication: Replication | None = None,
    ) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._read_engine = read_engine
        self.timeouts = timeouts or Timeouts()
        self.reads: ReadPool = reads or EngineReads(read_engine, self.timeouts)
        """Where the stores' reads run (``storage.sql.read_pools``): the driver's own pool."""
        self.fresh: ReadPool = self.reads
        """Where reads that must see every committed write run (a log-in): the primary."""
        self.replication = replication
        if replication is not None:
            self.reads, self.fresh = replication.reads, replication.fresh
        # SQLite has one writer at a time. Left to themselves, this process's
        # writers would all wait in SQLite's busy handler, which polls rather
        # than queues: under load some wait past the busy timeout while later
        # ones get in ("database is locked"). Queued here first, they take turns
        # in arrival order, and only other processes' writers meet the handler.
        self._writer_turn: AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if self.dialect == "sqlite" else nullcontext()
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection on the autocommit engine, for bulk reads (copies); requests: ``reads``."""
        with translate_errors():
            async with self.deadline(), self._read_engine.connect() as conn:
                yield conn

    def deadline(self, at: float | None = None) -> asyncio.Timeout:
        """The bound on one operation; past it the operation is cancelled (``TimeoutError``).

        ``timeouts.operation`` from now, or the event loop's time ``at``: the
        deadline an operation's attempts share (``transaction``). SQLAlchemy
        drops a connection whose operation was cancelled (its protocol state
        is unknown), so a late answer never reaches the next user. A write
        cancelled during its COMMIT may or may not have been applied, as with
        any lost answer; the client got a 503, not a success.
        """
        if at is not None:
            return asyncio.timeout_at(at)
        return asyncio.timeout(self.timeouts.operation)

    def binary(self, column: Any) -> Any:
        """``column`` compared and sorted by code point, as on every other store."""
        return binary(column, self.dialect)

    @asynccontextmanager
    async def write(
        self,
        on_foreign_key: Callable[[], StorageError] | None = None,
        *,
        deadline: float | None = None,
    ) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on a clean exit and rolls back otherwise.

        One attempt, not retried: stores write through ``transaction``.
        Constraint violations become the neutral errors their constraints name
        (``translate_errors``; ``on_foreign_key`` for SQLite's unnamed ones); the
        commit is inside, so deferred checks (and a Galera certification
        conflict, reported at COMMIT) count too. ``deadline``: see ``deadline``.
        """
        with translate_errors(on_foreign_key):
            async with self.deadline(deadline), self._writer_turn, self._sessions() as session:
                await session.connection(execution_options={SQLITE_WRITE: True})
                yield session
                await session.commit()
                if self.replication is not None:
                    await self._committed()

    async def _committed(self) -> None:
        """Report where the primary stands after a commit, to the request's ``Consistency``.

        The caller's later reads (on any instance) then require it. If the
        primary cannot say, the write stands all the same: the caller's reads
        go to the primary until the position would no longer matter.
        """
        context = consistency.current()
        if context is None:
            return
        assert self.replication is not None
        try:
            position = await self.replication.primary_position()
        except Unavailable:
            position = UNKNOWN
        await context.wrote(position)

    async def transaction(
        self,
        work: Callable[[AsyncSession], Awaitable[T]],
        on_foreign_key: Callable[[], StorageError] | None = None,
    ) -> T:
        """Run ``work`` in one ``write`` transaction, again if it failed transiently.

        A deadlock, a serialization failure, a Galera certification conflict or
        SQLite's busy database (``storage.sql.errors.is_transient``) runs it
        again with jittered back-off; every attempt, pause and statement fits in
        one ``timeouts.operation`` (``storage.retry``), so the client sees the
        result or, once that is spent, a 503; never the deadlock. ``work`` must
        be safe to run again (its changes were rolled back) and must build its
        ORM objects itself: a row added by a failed attempt belongs to it.
        """

        async def attempt(deadline: float) -> T:
            async with self.write(on_foreign_key, deadline=deadline) as session:
                return await work(session)

        clock = asyncio.get_running_loop().time  # the clock asyncio.timeout_at cuts by
        # SQLite waits for another process's write lock in the driver's thread,
        # where cancelling cannot reach: a retry needs a whole busy timeout left.
        blocking = self.timeouts.statement if self.dialect == "sqlite" else 0.0
        return await retrying(attempt, self.timeouts.operation, blocking=blocking, clock=clock)
