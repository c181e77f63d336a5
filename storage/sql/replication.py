"""Read replicas and Galera for the SQL backend, built from the URLs: engines, router, monitor.

``open_replication`` returns None for a single server (no replicas, not
Galera): then nothing here runs and ``Database.read`` uses its one read
engine as before. Otherwise:

* **replicas** (``DATABASE_READ_URLS``): a read pool per replica (the
  driver's own, as the primary's: ``storage.sql.read_pools``), the
  ``ReadRouter`` that picks one per read (``storage.sql.routed_reads``), and
  the ``ReplicaMonitor`` task that keeps their health and lag current (its
  own small engines, so a busy pool never delays a probe);
* **Galera** (found by asking the server for ``wsrep_on``): every node
  commits, but another node's commit may not be applied on this one yet. So
  reads that must see a write (the caller's own, within the lag bound; a log
  in) go to a second pool whose sessions set ``wsrep_sync_wait = 1``: the
  node first applies everything the cluster committed before the read.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.consistency import Position
from storage.errors import StorageError
from storage.instrumentation import PoolUsage, ReplicaStatus
from storage.sql.engine import create_engine, create_read_pool
from storage.sql.errors import translate_errors
from storage.sql.positions import GALERA, PositionQueries
from storage.sql.read_pools import ReadPool
from storage.sql.replica_monitor import PROBE_TIMEOUT, ReplicaMonitor
from storage.sql.replicas import ReadRouter, ReadTarget
from storage.sql.routed_reads import FreshReads, RoutedReads, renamed
from storage.timeouts import Timeouts

_PROBE_TIMEOUTS = Timeouts(
    operation=PROBE_TIMEOUT, connect=PROBE_TIMEOUT, pool=PROBE_TIMEOUT, statement=PROBE_TIMEOUT
)


class ReplicaConfigError(StorageError):
    """The read replicas named cannot work with this primary."""


class Replication:
    """The router over the primary and its copies, and what keeps it informed."""

    def __init__(
        self,
        router: ReadRouter[ReadPool],
        queries: PositionQueries,
        primary: AsyncEngine,
        lag_bound: float,
        timeouts: Timeouts,
        monitor: ReplicaMonitor | None = None,
        engines: list[AsyncEngine] | None = None,
    ) -> None:
        self.router = router
        self.queries = queries
        self._primary = primary
        self.reads = RoutedReads(router, timeouts)
        """The stores' reads: where the router says."""
        self.fresh = FreshReads(router, self.primary_position)
        """Reads that must see every committed write (a log-in): the primary."""
        self.lag_bound = lag_bound
        """Seconds a read may lag the primary; a caller's position matters that long."""
        self.monitor = monitor
        self._engines = engines or []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Probe once (so the first requests know the replicas), then keep probing."""
        if self.monitor is not None:
            await self.monitor.sample()
            self._task = asyncio.create_task(self.monitor.run(), name="replica monitor")

    async def primary_position(self) -> Position:
        """Where the primary stands now: past every commit acknowledged so far."""
        if self.queries.galera:
            return GALERA  # nothing to ask: reads that need the write wait for their node
        with translate_errors():
            async with self._primary.connect() as conn:
                return await self.queries.primary(conn)

    def statuses(self) -> list[ReplicaStatus]:
        """Each replica's state and lag, as the monitor last saw them."""
        return [_status(replica) for replica in self.router.replicas]

    def pools(self) -> list[PoolUsage]:
        """The replicas' (and Galera's waiting pool's) read pools."""
        usages = [
            renamed(replica.executor.usage(), f"replica {number}")
            for number, replica in enumerate(self.router.replicas, start=1)
        ]
        if self.router.fresh is not self.router.primary:
            usages.append(renamed(self.router.fresh.executor.usage(), "read-synced"))
        return [usage for usage in usages if usage is not None]

    async def close(self) -> None:
        """Stop the monitor, close the pools and the engines this built."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.reads.close()
        for engine in self._engines:
            await engine.dispose()


async def open_replication(
    url: str,
    read_engine: AsyncEngine,
    primary_reads: ReadPool,
    read_urls: list[str],
    *,
    pool_size: int,
    timeouts: Timeouts,
    max_lag: float,
) -> Replication | None:
    """The replication around the primary at ``url``, or None.

    ``read_engine`` is the primary's autocommit engine (positions are asked
    there), ``primary_reads`` its read pool.

    Raises ``ReplicaConfigError`` for replicas this primary cannot have, and
    ``Unavailable`` if the primary does not answer. Replicas that do not
    answer do not stop anything: reads go to the primary until they do.
    """
    dialect = read_engine.dialect.name
    if dialect == "sqlite":
        if read_urls:
            raise ReplicaConfigError("DATABASE_READ_URLS needs PostgreSQL or MariaDB, not SQLite")
        return None
    galera = dialect == "mysql" and await _is_galera(read_engine)
    if not read_urls and not galera:
        return None
    if read_urls and dialect == "mysql" and not getattr(read_engine.dialect, "is_mariadb", False):
        raise ReplicaConfigError(
            "DATABASE_READ_URLS on MySQL is not supported: positions are read as MariaDB GTIDs"
        )
    engines: list[AsyncEngine] = []
    primary = ReadTarget(describe(url), primary_reads, is_primary=True, up=True)
    fresh = None
    if galera:
        # Bit 1: reads (SELECT, SHOW, BEGIN) wait for the node to apply every
        # write set the cluster committed before they started.
        synced = create_read_pool(read_engine, pool_size, timeouts, session="wsrep_sync_wait = 1")
        fresh = ReadTarget(describe(url), synced, is_primary=True, up=True)
    replicas = []
    for replica_url in read_urls:
        # The engine only describes the replica (URL, dialect) to its pool; it never connects.
        engine = create_engine(replica_url, autocommit=True, pool_size=1, timeouts=timeouts)
        engines.append(engine)
        pool = create_read_pool(engine, pool_size, timeouts)
        replicas.append(ReadTarget(describe(replica_url), pool))
    router = ReadRouter(primary, replicas, fresh)
    queries = PositionQueries(dialect, galera=galera)
    monitor = None
    if replicas:
        probes = [_probe_engine(u) for u in (url, *read_urls)]
        engines.extend(probes)
        monitor = ReplicaMonitor(router, queries, probes[0], probes[1:], max_lag)
    return Replication(router, queries, read_engine, max_lag, timeouts, monitor, engines)


def describe(url: str) -> str:
    """``host:port/database`` of ``url``, never its user or password."""
    parsed = make_url(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.host or 'localhost'}{port}/{parsed.database or ''}"


def _status(replica: ReadTarget[Any]) -> ReplicaStatus:
    now = time.monotonic()
    if not replica.up:
        state = "down"
    elif now >= replica.readable_until:
        state = "lagging"
    else:
        state = "ok"
    caught_up = replica.caught_up_at
    lag = None if caught_up is None else round(max(0.0, now - caught_up), 3)
    return ReplicaStatus(replica.name, state, lag)


def _probe_engine(url: str) -> AsyncEngine:
    return create_engine(url, autocommit=True, pool_size=1, timeouts=_PROBE_TIMEOUTS)


async def _is_galera(engine: AsyncEngine) -> bool:
    with translate_errors():
        async with engine.connect() as conn:
            row = (await conn.execute(text("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'"))).first()
    return row is not None and str(row[1]).upper() == "ON"
