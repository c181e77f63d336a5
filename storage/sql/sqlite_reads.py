"""Reads on SQLite: worker threads that each own a connection, one hand-off per operation.

``sqlite3`` blocks, so reads run outside the event loop. A read operation
(``storage.sql.prepared``: a count, a page, its tags) is handed to one worker
whole and runs there inside one read transaction, so its statements read one
snapshot and the loop waits once. The hand-off is a queue and a future, as
lean as the raw driver's (aiosqlite's): a general thread pool's work items,
callbacks and context copies cost more than the query on a point read.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from queue import SimpleQueue
from time import perf_counter
from typing import Any

from sqlalchemy import Dialect

from storage import instrumentation
from storage.instrumentation import PoolUsage, RoundTrips
from storage.sql.driver_errors import translate_driver_errors
from storage.sql.prepared import Read, Statements
from storage.timeouts import Timeouts

Job = tuple[asyncio.Future[Any], Callable[[sqlite3.Connection], Any]] | None


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """In the loop: give the waiting operation its result (unless it stopped waiting)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class _Worker:
    """A thread with its own connection, running the jobs it is given one at a time."""

    def __init__(self, path: str, timeouts: Timeouts, loop: asyncio.AbstractEventLoop) -> None:
        self.jobs: SimpleQueue[Job] = SimpleQueue()
        self.connection: sqlite3.Connection | None = None
        self._path = path
        self._timeouts = timeouts
        self._loop = loop
        self._thread = threading.Thread(target=self._serve, name="sqlite-read", daemon=True)
        self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path,
            timeout=self._timeouts.statement,
            isolation_level=None,  # BEGIN and COMMIT are ours
            check_same_thread=False,  # interrupted from the loop's thread
        )
        connection.execute("PRAGMA query_only = ON")  # a read connection never writes
        return connection

    def _serve(self) -> None:
        while (job := self.jobs.get()) is not None:
            future, work = job
            try:
                if self.connection is None:
                    self.connection = self._connect()
                result, error = work(self.connection), None
            except BaseException as exc:
                result, error = None, exc
            self._loop.call_soon_threadsafe(_settle, future, result, error)
        if self.connection is not None:
            self.connection.close()

    def stop(self) -> None:
        self.jobs.put(None)
        self._thread.join()


class SqliteReads:
    """Reads on SQLite: up to ``size`` workers, started as concurrent reads need them."""

    def __init__(self, dialect: Dialect, path: str, size: int, timeouts: Timeouts) -> None:
        self._statements = Statements(dialect)
        self._path = path
        self._size = size
        self._timeouts = timeouts
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._turns = asyncio.Semaphore(size)

    def _run_here[T](
        self, read: Read[T], tally: RoundTrips | None, connection: sqlite3.Connection
    ) -> T:
        """The whole operation, in a worker thread, counted in the caller's ``tally``."""
        statements = self._statements
        connection.execute("BEGIN")
        try:
            query = next(read)
            while True:
                prepared = statements[query]
                instrumentation.started(prepared.sql, tally)
                started = perf_counter() if tally is not None else 0.0
                try:
                    raw = connection.execute(prepared.sql, prepared.bind(query.values)).fetchall()
                finally:
                    if tally is not None:
                        instrumentation.finished(tally, perf_counter() - started)
                query = read.send(prepared.rows(raw))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            if connection.in_transaction:
                connection.execute("COMMIT")

    async def run[T](self, read: Read[T]) -> T:
        tally = instrumentation.current()
        with translate_driver_errors():
            async with asyncio.timeout(self._timeouts.operation):
                await self._turns.acquire()
                worker = self._idle.pop() if self._idle else self._start()
                try:
                    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
                    worker.jobs.put((future, lambda conn: self._run_here(read, tally, conn)))
                    try:
                        return await future
                    except BaseException:
                        if worker.connection is not None and not future.done():
                            worker.connection.interrupt()  # the deadline: stop the statement
                        raise
                finally:
                    # An interrupted worker finishes its job before its next one.
                    self._idle.append(worker)
                    self._turns.release()

    def _start(self) -> _Worker:
        worker = _Worker(self._path, self._timeouts, asyncio.get_running_loop())
        self._workers.append(worker)
        return worker

    def usage(self) -> PoolUsage | None:
        opened = len(self._workers)
        return PoolUsage("read", in_use=opened - len(self._idle), open=opened, size=self._size)

    async def close(self) -> None:
        workers, self._workers, self._idle = self._workers, [], []

        def stop_all() -> None:
            for worker in workers:
                worker.stop()

        await asyncio.to_thread(stop_all)
