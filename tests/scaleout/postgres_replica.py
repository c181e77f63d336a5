"""A private PostgreSQL primary and streaming replica, from the stock binaries.

The primary is ``tests.faults.servers.PrivatePostgres`` (``initdb`` in a temp
dir, a free port); the replica is ``pg_basebackup -R`` of it into another temp
dir, started on another free port as a hot standby. Never the machine's
shared server. ``destroy()`` stops both and removes their files.
"""

from __future__ import annotations

import shutil
import subprocess

from tests.faults.servers import (
    PG_BIN,
    PrivatePostgres,
    _private_dir,
    _run,
    free_port,
    wait_until,
)


def psql(port: int, statement: str, database: str = "app") -> str:
    """Run ``statement`` on the server at ``port`` as ``postgres``; its unaligned output."""
    return _run(
        "runuser", "-u", "postgres", "--", str(PG_BIN / "psql"), "-h", "127.0.0.1",
        "-p", str(port), "-U", "postgres", "-d", database, "-Atc", statement,
    ).strip()  # fmt: skip


class PostgresStandby:
    """A streaming replica of ``primary`` (which must be running)."""

    def __init__(self, primary: PrivatePostgres) -> None:
        self.primary = primary
        self.root = _private_dir("scaleout-pg-replica-", "postgres")
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/app"
        try:
            _run(
                "runuser", "-u", "postgres", "--", str(PG_BIN / "pg_basebackup"),
                "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                "-D", str(self.data), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast",
            )  # fmt: skip
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _ctl(self, *args: str) -> str:
        return _run(
            "runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args
        )

    def start(self) -> None:
        """Start the standby and return once it accepts read-only connections."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c shared_buffers=16MB -c max_connections=100 -c hot_standby=on"
        )
        self._ctl("-l", str(self.log), "-o", options, "start", "-w")

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m mode``."""
        self._ctl("stop", "-m", mode, "-w")

    def running(self) -> bool:
        """Whether the standby's postmaster is running."""
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data),
             "status"],
            capture_output=True, check=False, timeout=30,
        )  # fmt: skip
        return result.returncode == 0

    def sql(self, statement: str) -> str:
        """Run ``statement`` on the standby (read-only)."""
        return psql(self.port, statement)

    def pause_replay(self) -> None:
        """Stop applying WAL (it is still received): reads see the data as it is now."""
        self.sql("SELECT pg_wal_replay_pause()")
        wait_until(lambda: self.sql("SELECT pg_get_wal_replay_pause_state()") == "paused", "pause")

    def resume_replay(self) -> None:
        """Apply WAL again."""
        self.sql("SELECT pg_wal_replay_resume()")

    def caught_up(self) -> bool:
        """Whether the standby has replayed everything the primary has written so far."""
        written = psql(self.primary.port, "SELECT pg_current_wal_lsn()")
        return self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn") == "t"

    def destroy(self) -> None:
        """Stop the standby however it was left, and remove its files."""
        try:
            if self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def scans(port: int, table: str) -> int:
    """Index and sequential scans of ``table`` the server at ``port`` has counted."""
    statement = (
        "SELECT coalesce(idx_scan, 0) + coalesce(seq_scan, 0) FROM pg_stat_user_tables "
        f"WHERE relname = '{table}'"
    )
    return int(psql(port, statement) or 0)
