"""Where a SQL server stands in its primary's history, as a ``storage.consistency.Position``.

=============  =======================================  =====================================
engine         primary: what its replicas will have      replica: what it has replayed
=============  =======================================  =====================================
PostgreSQL     ``pg_current_wal_insert_lsn()``           ``pg_last_wal_replay_lsn()``
MariaDB        ``@@gtid_binlog_pos`` (per domain)        ``@@gtid_current_pos`` (per domain)
Galera         (no query: every node is a primary;      (none)
               reads that must see a write wait for
               their node with ``wsrep_sync_wait``)
=============  =======================================  =====================================

A position read from the primary *after* a commit has returned is at or past
that commit, whichever session asks: the commit's WAL record (or binlog
event) was written before the commit was acknowledged. PostgreSQL's insert
position is past it even with ``synchronous_commit = off``.

One PostgreSQL wrinkle: a record the server writes by itself (a snapshot of
running transactions, every 15 s after activity) may be left half-flushed
while nothing commits: the primary's position then stays past anything a
replica can replay, and an idle primary would look like a lagging replica.
``settle`` commits an empty transaction (an id, no rows), which flushes it;
the monitor does that, at a bounded rate, only while a replica seems behind.
MariaDB's positions count whole transactions and need nothing of the kind.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.consistency import Position

_PG_PRIMARY = text("SELECT pg_current_wal_insert_lsn()::text")
_PG_SETTLE = text("SELECT pg_current_xact_id()")
# A "replica" that is not in recovery (promoted, or the primary itself) has
# everything it has written.
_PG_REPLICA = text(
    "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
    " ELSE pg_current_wal_lsn() END)::text"
)
_MARIADB_PRIMARY = text("SELECT @@GLOBAL.gtid_binlog_pos")
_MARIADB_REPLICA = text("SELECT @@GLOBAL.gtid_current_pos")
GALERA = Position({"galera": 1})
"""What a Galera write reports: not a place in a history, only "this caller wrote"."""


def pg_lsn(lsn: str | None) -> Position:
    """``16/B374D848`` -> one counter, the WAL byte position."""
    if not lsn:
        return Position({"lsn": 0})
    high, _, low = lsn.partition("/")
    return Position({"lsn": (int(high, 16) << 32) | int(low, 16)})


def mariadb_gtids(gtids: str | None) -> Position:
    """``0-1-100,1-2-5`` -> the sequence number per replication domain.

    Within a domain sequence numbers only grow (whichever server wrote them),
    so a copy has a GTID position once it has each domain's number.
    """
    marks: dict[str, int] = {}
    for gtid in (gtids or "").split(","):
        parts = gtid.strip().split("-")
        if len(parts) == 3:
            domain, _server, sequence = parts
            marks[f"d{domain}"] = max(int(sequence), marks.get(f"d{domain}", 0))
    return Position(marks)


class PositionQueries:
    """The two questions the replica monitor and the write path ask, for one engine."""

    def __init__(self, dialect: str, *, galera: bool = False) -> None:
        self.galera = galera
        self._parse: Callable[[str | None], Position]
        if dialect == "postgresql":
            self._primary, self._replica, self._parse = _PG_PRIMARY, _PG_REPLICA, pg_lsn
        elif dialect == "mysql":
            self._primary, self._replica = _MARIADB_PRIMARY, _MARIADB_REPLICA
            self._parse = mariadb_gtids
        else:
            raise ValueError(f"read replicas need PostgreSQL or MariaDB, not {dialect}")

    async def primary(self, conn: AsyncConnection) -> Position:
        """Where the primary stands now: at or past every commit acknowledged so far."""
        if self.galera:
            return GALERA
        return self._parse((await conn.execute(self._primary)).scalar_one())

    async def replica(self, conn: AsyncConnection) -> Position:
        """What a replica has replayed (and made visible to its readers)."""
        return self._parse((await conn.execute(self._replica)).scalar_one())

    async def settle(self, conn: AsyncConnection) -> Position | None:
        """Have the primary flush all it has written (see the module docstring); None if no need."""
        if self._primary is not _PG_PRIMARY:
            return None
        await conn.execute(_PG_SETTLE)
        return await self.primary(conn)
