"""Reads on SQLite: worker threads that each own a connection, one hand-off per operation.

``sqlite3`` blocks, so reads run outside the event loop. A read operation
(``storage.sql.prepared``: a count, a page, its tags) is handed to one worker
whole and runs there inside one read transaction, so its statements read one
snapshot and the loop waits once. The hand-off is a queue and a future, as
lean as the raw driver's (aiosqlite's): a general thread pool's work items,
callbacks and context copies cost more than the query on a point read.

A read by key (a user, a post and its tags, a token's account) seeks an
index: it takes microseconds, less than any hand-off, so it runs on the event
loop's own connection. Nothing that can scan does.
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


KEY_READ_BUSY_SECONDS = 0.05
"""How long a read by key, on the event loop, may wait for SQLite's lock before giving up (503)."""


def _connect(path: str, busy_seconds: float) -> sqlite3.Connection:
    """A read-only connection whose transactions are ours (``BEGIN``/``COMMIT``)."""
    connection = sqlite3.connect(
        path,
        timeout=busy_seconds,
        isolation_level=None,
        check_same_thread=False,  # a worker's is interrupted from the loop's thread
    )
    connection.execute("PRAGMA query_only = ON")
    return connection


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

    def _serve(self) -> None:
        while (job := self.jobs.get()) is not None:
            future, work = job
            try:
                if self.connection is None:
                    self.connection = _connect(self._path, self._timeouts.statement)
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
        self._loop_connection: sqlite3.Connection | None = None

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

    async def run[T](self, read: Read[T], *, by_key: bool = False) -> T:
        tally = instrumentation.current()
        if by_key:
            # An index lookup takes microseconds: less than waking a thread and
            # waiting for it (the hand-off costs more than the query here).
            with translate_driver_errors():
                return self._run_here(read, tally, self._own_connection())
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

    def _own_connection(self) -> sqlite3.Connection:
        """The event loop thread's connection, for reads by key."""
        if self._loop_connection is None:
            # A reader waits for a lock only in rare moments (a checkpoint's
            # WAL reset): briefly, since it waits on the loop.
            self._loop_connection = _connect(self._path, KEY_READ_BUSY_SECONDS)
        return self._loop_connection

    def _start(self) -> _Worker:
        worker = _Worker(self._path, self._timeouts, asyncio.get_running_loop())
        self._workers.append(worker)
        return worker

    def usage(self) -> PoolUsage | None:
        opened = len(self._workers)
        return PoolUsage("read", in_use=opened - len(self._idle), open=opened, size=self._size)

    async def close(self) -> None:
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        workers, self._workers, self._idle = self._workers, [], []

        def stop_all() -> None:
            for worker in workers:
                worker.stop()

        await asyncio.to_thread(stop_all)
