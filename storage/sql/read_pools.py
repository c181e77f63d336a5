"""Where reads run: the driver's own connection pool, one operation at a time.

Writes go through SQLAlchemy sessions (``storage.sql.database``); reads, which
are most requests, run prepared statements (``storage.sql.prepared``) straight
on the driver, because SQLAlchemy's async layer costs more than the query on
a point read (a greenlet switch per call, the pool's events, result objects;
on SQLite ten thread hand-offs where one does):

- PostgreSQL: an asyncpg pool; asyncpg prepares each statement once per
  connection and skips its reset query on release (reads change no session
  state, so it would only cost a round trip);
- MariaDB/MySQL: an asyncmy pool in autocommit mode;
- SQLite: ``sqlite3`` connections, each owned by one worker thread, where a
  whole read operation (count, page, tags) runs in one hand-off, inside one
  read transaction, so it reads one snapshot (``storage.sql.sqlite_reads``).

Every pool bounds the operation by ``Timeouts.operation`` (pool wait, connect
and statements), reports each statement to ``storage.instrumentation`` and
turns driver errors into neutral ones (``storage.sql.driver_errors``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from time import perf_counter
from typing import Any, Protocol

import asyncmy
import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import instrumentation
from storage.instrumentation import PoolUsage
from storage.sql.driver_errors import translate_driver_errors
from storage.sql.prepared import Query, Read, Row, Statements
from storage.timeouts import Timeouts


class ReadPool(Protocol):
    """Runs read operations on one database server."""

    async def run[T](self, read: Read[T], *, by_key: bool = False) -> T:
        """Run ``read`` to its result; raises neutral storage errors only.

        ``by_key``: the read only seeks rows by a key (an index lookup, never
        a scan), which lets SQLite answer it without a thread hand-off.
        """
        ...

    def usage(self) -> PoolUsage | None:
        """The pool's connections now, for metrics (None: not known)."""
        ...

    async def close(self) -> None:
        """Close every connection."""
        ...


async def _no_reset(_connection: Any) -> None:
    """asyncpg's release hook: nothing to undo after a read (see the module docstring)."""


Fetch = Callable[[str, tuple[Any, ...]], Awaitable[Sequence[Sequence[Any]]]]
"""A driver's "run this SQL with these arguments, give me the rows"."""


async def drive[T](
    read: Read[T], statements: Statements, fetch: Fetch, abandon: Callable[[], Any]
) -> T:
    """Run ``read`` on one connection: each query it yields, prepared, fetched, converted.

    ``abandon`` is called when a statement does not complete (an error, the
    deadline): the connection's state is unknown, so it must not be reused.
    """
    try:
        query = next(read)
        while True:
            prepared = statements[query]
            tally = instrumentation.started(prepared.sql)
            started = perf_counter() if tally is not None else 0.0
            try:
                raw = await fetch(prepared.sql, prepared.bind(query.values))
            except BaseException:
                abandon()
                raise
            finally:
                if tally is not None:
                    instrumentation.finished(tally, perf_counter() - started)
            query = read.send(prepared.rows(raw))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


class AsyncpgReads:
    """Reads on PostgreSQL through an asyncpg pool."""

    def __init__(
        self, dialect: Dialect, connect_args: Mapping[str, Any], size: int, timeouts: Timeouts
    ) -> None:
        self._statements = Statements(dialect)
        self._connect_args = dict(connect_args)
        self._size = size
        self._timeouts = timeouts
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _ready(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    # min_size=0: nothing is opened until a read needs it, so a
                    # server that is away at start-up costs no failure here.
                    self._pool = await asyncpg.create_pool(
                        min_size=0, max_size=self._size, reset=_no_reset, **self._connect_args
                    )
        return self._pool

    async def run[T](self, read: Read[T], *, by_key: bool = False) -> T:
        with translate_driver_errors():
            async with asyncio.timeout(self._timeouts.operation):
                pool = await self._ready()
                connection = await pool.acquire(timeout=self._timeouts.pool)
                try:
                    return await drive(
                        read,
                        self._statements,
                        lambda sql, args: connection.fetch(sql, *args),
                        # A statement cut short (deadline, cancellation, lost link)
                        # leaves the protocol in an unknown state: never reused.
                        connection.terminate,
                    )
                finally:
                    await pool.release(connection)

    def usage(self) -> PoolUsage | None:
        if self._pool is None:
            return PoolUsage("read", in_use=0, open=0, size=self._size)
        idle = self._pool.get_idle_size()
        opened = self._pool.get_size()
        return PoolUsage("read", in_use=opened - idle, open=opened, size=self._size)

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()


class AsyncmyReads:
    """Reads on MariaDB/MySQL through an asyncmy pool, autocommit.

    ``session`` is more session settings for every connection (``"wsrep_sync_wait
    = 1"``: Galera reads that wait for the cluster, ``storage.sql.replication``).
    """

    def __init__(
        self,
        dialect: Dialect,
        connect_args: Mapping[str, Any],
        size: int,
        timeouts: Timeouts,
        session: str = "",
    ) -> None:
        self._statements = Statements(dialect)
        self._connect_args = dict(connect_args)
        self._size = size
        self._timeouts = timeouts
        self._session = session
        self._pool: Any = None  # asyncmy.Pool (untyped)
        self._opening = asyncio.Lock()

    async def _ready(self) -> Any:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    limit = await self._statement_limit()
                    if self._session:
                        limit = f"{limit}, {self._session}"  # one SET, several variables
                    self._pool = await asyncmy.create_pool(
                        minsize=0,
                        maxsize=self._size,
                        autocommit=True,
                        init_command=limit,
                        **self._connect_args,
                    )
        return self._pool

    async def _statement_limit(self) -> str:
        """How this server is told to cancel a statement after ``Timeouts.statement``.

        MariaDB and MySQL name the setting differently (and MySQL's covers SELECTs
        only, which is all a read sends); which one this is, the server says.
        """
        probe = await asyncmy.connect(**self._connect_args)
        try:
            mariadb = "mariadb" in probe.get_server_info().lower()
        finally:
            probe.close()
        seconds = self._timeouts.statement
        if mariadb:
            return f"SET SESSION max_statement_time = {seconds:.3f}"
        return f"SET SESSION max_execution_time = {round(seconds * 1000)}"

    async def run[T](self, read: Read[T], *, by_key: bool = False) -> T:
        with translate_driver_errors():
            async with asyncio.timeout(self._timeouts.operation):
                pool = await self._ready()
                async with asyncio.timeout(self._timeouts.pool):
                    connection = await pool.acquire()
                try:
                    async with connection.cursor() as cursor:

                        async def fetch(sql: str, args: tuple[Any, ...]) -> Any:
                            await cursor.execute(sql, args)
                            return await cursor.fetchall()

                        # A cut-short statement: the connection is dropped, never reused.
                        return await drive(read, self._statements, fetch, connection.close)
                finally:
                    pool.release(connection)

    def usage(self) -> PoolUsage | None:
        if self._pool is None:
            return PoolUsage("read", in_use=0, open=0, size=self._size)
        idle = self._pool.freesize
        opened = self._pool.size
        return PoolUsage("read", in_use=opened - idle, open=opened, size=self._size)

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            await self._pool.wait_closed()


class EngineReads:
    """Reads through a SQLAlchemy engine: for what the drivers above do not cover.

    An in-memory SQLite database (one connection shared with the writes) and
    a driver other than asyncpg/asyncmy/aiosqlite take this path; its results
    are SQLAlchemy's own, which the tests compare the drivers' paths with.
    """

    def __init__(self, engine: AsyncEngine, timeouts: Timeouts) -> None:
        self._engine = engine
        self._timeouts = timeouts
        dialect = engine.dialect.name
        self._build: Callable[[Query], Any] = lambda query: query.build(dialect)

    async def run[T](self, read: Read[T], *, by_key: bool = False) -> T:
        from storage.sql.errors import translate_errors  # the engine's errors: SQLAlchemy's

        with translate_errors():
            async with asyncio.timeout(self._timeouts.operation), self._engine.connect() as conn:
                try:
                    query = next(read)
                    while True:
                        result = await conn.execute(self._build(query), dict(query.values))
                        rows: list[Row] = [dict(row) for row in result.mappings()]
                        query = read.send(rows)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]

    def usage(self) -> PoolUsage | None:
        return None

    async def close(self) -> None:
        await self._engine.dispose()
