"""Private database servers that a fault test may stop, kill, freeze and restart.

Never the machine's shared servers: each class here creates its own data
directory under a fresh temporary directory, listens on a free loopback port,
and ``destroy()`` stops it and removes everything (also after a frozen or
killed state). A binary that is missing is a failure with a message naming
it, never a skip: the fault tests only run when their ``TEST_*_URL`` says
the machine has that database (``tests/faults/conftest.py``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
START_SECONDS = 60.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary(path: Path | str, what: str) -> str:
    found = shutil.which(str(path))
    if found is None:
        raise RuntimeError(
            f"{what}: {path} not found; install it or unset the variable enabling it"
        )
    return found


def _run(*command: str, timeout: float = START_SECONDS) -> str:
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, cwd="/"
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stdout}{result.stderr}"[-3000:])
    return result.stdout


def _private_dir(prefix: str, owner: str) -> Path:
    # Not pytest's tmp_path: its parents are root-only (0700), and these servers
    # refuse to run as root, so they run as their own OS user.
    path = Path(tempfile.mkdtemp(prefix=prefix))
    shutil.chown(path, owner, owner)
    return path


def signal_all(pids: list[int], sig: signal.Signals) -> None:
    """Send ``sig`` to each of ``pids`` (processes this test started), ignoring ones gone.

    After SIGSTOP, return only once each process is stopped: ``kill`` returns
    when the signal is queued, and on a busy machine a process may still run
    a moment after that (long enough, once, to answer a health check).
    """
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    if sig == signal.SIGSTOP:
        wait_until(lambda: all(_stopped_or_gone(pid) for pid in pids), "SIGSTOP", 10)


def _stopped_or_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    # The state is the first field after the command name, which is in parentheses.
    return stat.rpartition(")")[2].split()[0] in {"T", "t", "Z", "X"}


def wait_until(condition: object, what: str, seconds: float = START_SECONDS) -> None:
    """Poll ``condition()`` until it is true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {seconds:.0f} s")
        time.sleep(0.05)


class PrivatePostgres:
    """A PostgreSQL cluster of our own: initdb into a temp dir, ``pg_ctl`` as ``postgres``."""

    def __init__(self) -> None:
        for tool in ("initdb", "pg_ctl", "pg_isready"):
            _binary(PG_BIN / tool, "PostgreSQL (TEST_POSTGRES_URL is set)")
        self.root = _private_dir("faults-pg-", "postgres")
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/app"
        try:
            _run(
                "runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(self.data),
                "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            )  # fmt: skip
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _ctl(self, *args: str) -> str:
        return _run(
            "runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args
        )

    def start(self, *, wait: bool = True) -> None:
        """Start the server; with ``wait``, return once it accepts connections."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c shared_buffers=16MB -c max_connections=100"
        )
        self._ctl("-l", str(self.log), "-o", options, "start", "-w" if wait else "-W")

    def create_database(self) -> None:
        """Create the ``app`` database (a UTF-8 locale, so non-ASCII letters fold)."""
        psql = str(PG_BIN / "psql")
        _run(
            "runuser", "-u", "postgres", "--", psql, "-h", "127.0.0.1", "-p", str(self.port),
            "-U", "postgres", "-c", "CREATE DATABASE app",
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """``pg_ctl stop -m mode``: ``immediate`` is a crash as far as clients can tell."""
        self._ctl("stop", "-m", mode, "-w")

    def accepting(self) -> bool:
        """Whether the server accepts connections now (``pg_isready``)."""
        command = [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        return subprocess.run(command, check=False, timeout=10).returncode == 0

    def pids(self) -> list[int]:
        """The postmaster and every backend it forked."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return []
        postmaster = int(pid_file.read_text().splitlines()[0])
        try:
            process = psutil.Process(postmaster)
            return [postmaster] + [child.pid for child in process.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def freeze(self) -> None:
        """SIGSTOP the whole server: connections stay open, nothing answers."""
        # The postmaster first, so that it forks no backend we would not stop.
        signal_all(self.pids()[:1], signal.SIGSTOP)
        signal_all(self.pids()[1:], signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after ``freeze``."""
        signal_all(self.pids(), signal.SIGCONT)

    def destroy(self) -> None:
        """Stop the server however it was left, and remove its files."""
        try:
            self.thaw()
            if self.pids():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class PrivateMariaDB:
    """A MariaDB instance of our own: ``mariadb-install-db`` + ``mariadbd`` as ``mysql``."""

    def __init__(self) -> None:
        self.mariadbd = _binary("mariadbd", "MariaDB (TEST_MYSQL_URL is set)")
        install = _binary("mariadb-install-db", "MariaDB (TEST_MYSQL_URL is set)")
        self.client = _binary("mariadb", "MariaDB (TEST_MYSQL_URL is set)")
        self.root = _private_dir("faults-mdb-", "mysql")
        self.data = self.root / "data"
        self.socket = self.root / "mysqld.sock"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.url = f"mysql://root@127.0.0.1:{self.port}/app"
        self.process: subprocess.Popen[bytes] | None = None
        try:
            _run(
                install, "--no-defaults", f"--datadir={self.data}", "--user=mysql",
                "--auth-root-authentication-method=normal", "--skip-test-db",
            )  # fmt: skip
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def start(self, *, wait: bool = True) -> None:
        """Start ``mariadbd``; with ``wait``, return once it answers on its socket."""
        self.process = subprocess.Popen(
            [
                self.mariadbd, "--no-defaults", f"--datadir={self.data}", f"--port={self.port}",
                f"--socket={self.socket}", "--bind-address=127.0.0.1", "--user=mysql",
                f"--pid-file={self.root / 'mysqld.pid'}", f"--log-error={self.log}",
                "--skip-name-resolve", "--innodb-buffer-pool-size=32M", "--max-connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
        )  # fmt: skip
        if wait:
            wait_until(self.accepting, f"MariaDB answering (log: {self.log})")

    def sql(self, statement: str) -> str:
        """Run ``statement`` as root over the Unix socket."""
        return _run(
            self.client, "--no-defaults", "-uroot", f"--socket={self.socket}", "-e", statement
        )

    def create_database(self) -> None:
        """Create ``app`` (binary collation, as the suite's databases) and a TCP root login."""
        self.sql(
            "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';"
            "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
            "CREATE DATABASE app CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
        )

    def accepting(self) -> bool:
        """Whether the server answers a query right now (it must be running)."""
        if self.process is None:
            return False
        if self.process.poll() is not None:
            raise RuntimeError(f"mariadbd exited: {self.log.read_text()[-2000:]}")
        try:
            self.sql("SELECT 1")
        except (RuntimeError, subprocess.TimeoutExpired):
            return False
        return True

    def kill(self) -> None:
        """SIGKILL the server (a crash); InnoDB recovers on the next start."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=START_SECONDS)

    def freeze(self) -> None:
        """SIGSTOP the server: connections stay open, nothing answers."""
        if self.process is not None:
            signal_all([self.process.pid], signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after ``freeze``."""
        if self.process is not None:
            signal_all([self.process.pid], signal.SIGCONT)

    def destroy(self) -> None:
        """Stop the server however it was left, and remove its files."""
        try:
            self.thaw()
            self.kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class StandinServer:
    """The mongoeco wire stand-in in its own process, on its SQLite engine, on a fixed port."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="faults-mongo-"))
        self.file = self.root / "standin.db"
        self.log = self.root / "standin.log"
        self.port = free_port()
        self.url = f"mongodb://127.0.0.1:{self.port}/app?directConnection=true"
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start the server on ``self.file``; return once it prints its address."""
        command = [sys.executable, "-m", "storage.mongo.standin", "--path", str(self.file)]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                cwd=ROOT,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("mongodb://"):
            raise RuntimeError(f"the stand-in did not start: {self.log.read_text()[-2000:]}")

    def terminate(self) -> None:
        """SIGTERM: the server closes its file and exits."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: the server dies wherever it was."""
        self._end(signal.SIGKILL)

    def _end(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)
        self.process.wait(timeout=START_SECONDS)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    def freeze(self) -> None:
        """SIGSTOP the server."""
        if self.process is not None:
            signal_all([self.process.pid], signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after ``freeze``."""
        if self.process is not None:
            signal_all([self.process.pid], signal.SIGCONT)

    def destroy(self) -> None:
        """Stop the server however it was left, and remove its files."""
        try:
            self.thaw()
            self.kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
