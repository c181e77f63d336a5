"""A primary and a replica of each engine behind one interface, so one test module covers both.

``ENGINES`` lists the engines this run can start (their ``TEST_*_URL`` says
the machine has them); ``tests.scaleout.enabling`` names the ones left out.
"""

from __future__ import annotations

import os
from typing import Protocol

from tests.faults.servers import PrivatePostgres
from tests.scaleout.enabling import ENGINES as ENABLING
from tests.scaleout.instances import migrate
from tests.scaleout.mariadb_servers import MariaReplicaPair
from tests.scaleout.postgres_replica import PostgresStandby, scans


class Replicated(Protocol):
    """A running primary and replica, migrated, that a test may pause, stop and start."""

    primary_url: str
    replica_url: str
    replica_name: str
    """How ``/health`` and ``/metrics`` name the replica."""

    def pause_replay(self) -> None: ...
    def resume_replay(self) -> None: ...
    def caught_up(self) -> bool: ...
    def stop_replica(self) -> None: ...
    def start_replica(self) -> None: ...
    def replica_running(self) -> bool: ...
    def reads(self, on_replica: bool, table: str) -> int:
        """Reads of ``table`` the server has counted (its own statistics)."""
        ...

    def destroy(self) -> None: ...


class PostgresPair:
    """``initdb`` + ``pg_basebackup -R``: a streaming replica."""

    def __init__(self) -> None:
        self.primary = PrivatePostgres()
        self.standby: PostgresStandby | None = None
        try:
            self.primary.start()
            self.primary.create_database()
            migrate({"DATABASE_URL": self.primary.url})
            self.standby = PostgresStandby(self.primary)
            self.standby.start()
        except BaseException:
            self.destroy()
            raise
        self.primary_url, self.replica_url = self.primary.url, self.standby.url
        self.replica_name = f"127.0.0.1:{self.standby.port}/app"

    @property
    def _standby(self) -> PostgresStandby:
        assert self.standby is not None
        return self.standby

    def pause_replay(self) -> None:
        self._standby.pause_replay()

    def resume_replay(self) -> None:
        self._standby.resume_replay()

    def caught_up(self) -> bool:
        return self._standby.caught_up()

    def stop_replica(self) -> None:
        self._standby.stop("fast")

    def start_replica(self) -> None:
        self._standby.start()

    def replica_running(self) -> bool:
        return self._standby.running()

    def reads(self, on_replica: bool, table: str) -> int:
        return scans(self._standby.port if on_replica else self.primary.port, table)

    def destroy(self) -> None:
        try:
            if self.standby is not None:
                self.standby.destroy()
        finally:
            self.primary.destroy()


class MariaDBPair:
    """Two ``mariadbd``: binlog with GTIDs, and a replica using ``MASTER_USE_GTID``."""

    def __init__(self) -> None:
        self.servers = MariaReplicaPair()
        try:
            self.servers.start()
            migrate({"DATABASE_URL": self.servers.primary.url})
        except BaseException:
            self.servers.destroy()
            raise
        self.primary_url = self.servers.primary.url
        self.replica_url = self.servers.replica.url
        self.replica_name = f"127.0.0.1:{self.servers.replica.port}/app"

    def pause_replay(self) -> None:
        self.servers.pause_replay()

    def resume_replay(self) -> None:
        self.servers.resume_replay()

    def caught_up(self) -> bool:
        return self.servers.caught_up()

    def stop_replica(self) -> None:
        self.servers.replica.stop()

    def start_replica(self) -> None:
        self.servers.replica.start()

    def replica_running(self) -> bool:
        return self.servers.replica.running()

    def reads(self, on_replica: bool, table: str) -> int:
        node = self.servers.replica if on_replica else self.servers.primary
        return node.rows_read(table)

    def destroy(self) -> None:
        self.servers.destroy()


PAIRS: dict[str, type[PostgresPair] | type[MariaDBPair]] = {
    "postgres": PostgresPair,
    "mariadb": MariaDBPair,
}
ENGINES = [engine for engine, variable in ENABLING.items() if os.environ.get(variable)]


def start(engine: str) -> Replicated:
    """A primary and a replica of ``engine``, running and migrated."""
    pair: Replicated = PAIRS[engine]()
    return pair
