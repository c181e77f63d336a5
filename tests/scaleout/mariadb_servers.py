"""Private ``mariadbd`` instances: a GTID primary and replica, or Galera nodes.

Each node is ``mariadb-install-db --no-defaults`` into a temp dir owned by
``mysql`` and ``mariadbd --no-defaults`` on a free loopback port with the
options its role needs; never the machine's shared server. ``destroy()``
stops it and removes its files.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess

from tests.faults.servers import (
    START_SECONDS,
    _binary,
    _private_dir,
    _run,
    free_port,
    wait_until,
)

WHAT = "MariaDB (TEST_MYSQL_URL is set)"


class MariaNode:
    """One ``mariadbd`` with its own data directory, port and socket."""

    def __init__(self, name: str, *options: str, install: bool = True) -> None:
        self.mariadbd = _binary("mariadbd", WHAT)
        self.client = _binary("mariadb", WHAT)
        self.name = name
        self.options = list(options)
        self.root = _private_dir(f"scaleout-{name}-", "mysql")
        self.data = self.root / "data"
        self.socket = self.root / "mysqld.sock"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.url = f"mysql://root@127.0.0.1:{self.port}/app"
        self.process: subprocess.Popen[bytes] | None = None
        if install:
            try:
                _run(
                    _binary("mariadb-install-db", WHAT), "--no-defaults",
                    f"--datadir={self.data}", "--user=mysql",
                    "--auth-root-authentication-method=normal", "--skip-test-db",
                )  # fmt: skip
            except BaseException:
                shutil.rmtree(self.root, ignore_errors=True)
                raise

    def command(self, *extra: str) -> list[str]:
        """The ``mariadbd`` command line of this node."""
        return [
            self.mariadbd, "--no-defaults", f"--datadir={self.data}", f"--port={self.port}",
            f"--socket={self.socket}", "--bind-address=127.0.0.1", "--user=mysql",
            f"--pid-file={self.root / 'mysqld.pid'}", f"--log-error={self.log}",
            "--skip-name-resolve", "--innodb-buffer-pool-size=32M", "--max-connections=300",
            "--innodb-flush-log-at-trx-commit=2", *self.options, *extra,
        ]  # fmt: skip

    def start(self, *extra: str, wait: bool = True, seconds: float = START_SECONDS) -> None:
        """Start ``mariadbd``; with ``wait``, return once it answers on its socket."""
        self.process = subprocess.Popen(
            self.command(*extra), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/"
        )
        if wait:
            wait_until(self.answers, f"{self.name} answering (log: {self.log})", seconds)

    def sql(self, statement: str, database: str | None = None) -> str:
        """Run ``statement`` as root over the Unix socket; tab-separated rows, no header."""
        where = [database] if database else []
        return _run(
            self.client, "--no-defaults", "-uroot", f"--socket={self.socket}", "-N", "-B",
            "-e", statement, *where,
        ).strip()  # fmt: skip

    def answers(self) -> bool:
        """Whether the server answers a query right now (it must be running)."""
        if self.process is None:
            return False
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
        try:
            self.sql("SELECT 1")
        except (RuntimeError, subprocess.TimeoutExpired):
            return False
        return True

    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def tcp_root(self) -> None:
        """Let root log in over TCP from 127.0.0.1 (the API connects that way)."""
        self.sql(
            "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';"
            "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
        )

    def create_database(self) -> None:
        """``app`` with the suite's binary collation."""
        self.sql("CREATE DATABASE app CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")

    def stop(self) -> None:
        """SIGTERM: a clean shutdown."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=START_SECONDS)
            self.process = None

    def kill(self) -> None:
        """SIGKILL: a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=START_SECONDS)
            self.process = None

    def rows_read(self, table: str) -> int:
        """Rows this server has read from ``app.table`` (``--userstat``'s TABLE_STATISTICS)."""
        answer = self.sql(
            "SELECT COALESCE(SUM(ROWS_READ), 0) FROM information_schema.TABLE_STATISTICS "
            f"WHERE TABLE_SCHEMA = 'app' AND TABLE_NAME = '{table}'"
        )
        return int(answer or 0)

    def destroy(self) -> None:
        """Stop the server however it was left, and remove its files."""
        try:
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                self.kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class MariaReplicaPair:
    """A GTID primary (binlog, server id 1) and a replica of it (server id 2)."""

    def __init__(self) -> None:
        common = ("--userstat=1", "--binlog-format=ROW", "--gtid-strict-mode=1")
        self.primary = MariaNode("mdb-primary", "--server-id=1", "--log-bin=binlog", *common)
        self.replica = MariaNode("mdb-replica", "--server-id=2", "--read-only=1", *common)

    def start(self) -> None:
        """Start both, replicate from the (empty) beginning, then create ``app`` on the primary."""
        self.primary.start()
        self.replica.start()
        self.primary.tcp_root()
        self.replica.tcp_root()
        self.replica.sql(
            f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={self.primary.port}, "
            "MASTER_USER='root', MASTER_USE_GTID=slave_pos; START SLAVE;"
        )
        self.primary.create_database()
        wait_until(self.caught_up, "the replica replaying the primary's first GTID")

    def caught_up(self) -> bool:
        """Whether the replica has applied everything the primary has logged."""
        wanted = self.primary.sql("SELECT @@GLOBAL.gtid_binlog_pos")
        return self.replica.sql(f"SELECT MASTER_GTID_WAIT('{wanted}', 0)") == "0"

    def pause_replay(self) -> None:
        """Stop applying (events are still received): the replica's data stays as it is."""
        self.replica.sql("STOP SLAVE SQL_THREAD")

    def resume_replay(self) -> None:
        """Apply again."""
        self.replica.sql("START SLAVE SQL_THREAD")

    def destroy(self) -> None:
        """Both servers gone, files removed."""
        try:
            self.replica.destroy()
        finally:
            self.primary.destroy()
