"""Sessions scoped to one storage operation: read, or write-and-commit."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from storage import consistency
from storage.consistency import UNKNOWN
from storage.errors import StorageError, Unavailable
from storage.sql.engine import SQLITE_WRITE
from storage.sql.errors import is_transient, translate_errors
from storage.sql.queries import binary
from storage.sql.read_pools import EngineReads, ReadPool
from storage.timeouts import Timeouts

if TYPE_CHECKING:
    from storage.sql.replication import Replication

T = TypeVar("T")
RETRY_SECONDS = 5.0
"""How long a transaction is retried after deadlocks before answering 503."""


class Database:
    """The engines of one database plus the ways a repository uses them.

    ``engine`` runs transactions (writes); ``reads`` runs read operations on
    the driver's own pool; ``read_engine`` runs autocommit statements for bulk
    reads (copies). Every operation ends within ``timeouts.operation``: each
    wait is bounded (connect, pool, statement), and a deadline bounds their sum.

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

    def deadline(self) -> asyncio.Timeout:
        """The bound on one operation; past it the operation is cancelled (``TimeoutError``).

        SQLAlchemy drops a connection whose operation was cancelled (its
        protocol state is unknown), so a late answer never reaches the next user.
        A write cancelled during its COMMIT may or may not have been applied,
        as with any lost answer; the client got a 503, not a success.
        """
        return asyncio.timeout(self.timeouts.operation)

    def binary(self, column: Any) -> Any:
        """``column`` compared and sorted by code point, as on every other store."""
        return binary(column, self.dialect)

    @asynccontextmanager
    async def write(
        self, on_foreign_key: Callable[[], StorageError] | None = None
    ) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on a clean exit and rolls back otherwise.

        Constraint violations become the neutral errors their constraints name
        (``translate_errors``; ``on_foreign_key`` for SQLite's unnamed ones); the
        commit is inside, so deferred checks count too.
        """
        with translate_errors(on_foreign_key):
            async with self.deadline(), self._writer_turn, self._sessions() as session:
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
        """Run ``work`` in one ``write`` transaction, again if it deadlocked or was refused.

        Deadlocks, serialization failures and lock time-outs are retried with
        jittered back-off for up to ``RETRY_SECONDS``: the client sees the
        result, never the deadlock. ``work`` must be safe to run again (its
        changes were rolled back).
        """
        deadline = time.monotonic() + RETRY_SECONDS
        attempt = 0
        while True:
            try:
                async with self.write(on_foreign_key) as session:
                    return await work(session)
            except Unavailable as exc:
                if not is_transient(exc.__cause__) or time.monotonic() >= deadline:
                    raise
            attempt += 1
            await _back_off(attempt)


async def _back_off(attempt: int) -> None:
    # Full jitter: transactions that deadlocked each other do not meet again in step.
    await asyncio.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt)))


async def lock_row(session: AsyncSession, id_column: Any, row_id: int) -> None:
    """Hold the write lock of one row until the transaction ends.

    An update reads the row, then writes it; without the lock a concurrent
    delete or update could land in between (a lost update, or an UPDATE that
    matches nothing). PostgreSQL and MariaDB make the other writer wait;
    SQLite has no row locks and needs none (BEGIN IMMEDIATE serialises writers).
    """
    await session.execute(select(id_column).where(id_column == row_id).with_for_update())
