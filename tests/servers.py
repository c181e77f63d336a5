"""Real ``python -m api serve`` processes for tests that need sockets, signals and workers.

``served`` runs one with an environment and keeps everything it printed;
``serving`` runs one on a migrated SQLite file and reads its log as it goes.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import psutil

from storage.factory import migrate_storage

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    """A server process, its port and its log file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_lines(self) -> list[str]:
        """What the server has logged so far."""
        return self.log.read_text(errors="replace").splitlines()

    def json_log(self) -> list[dict[str, object]]:
        """The server's log lines, parsed (every line must be JSON)."""
        return [json.loads(line) for line in self.log_lines() if line.strip()]

    def wait_for_exit(self, seconds: float = 60) -> int:
        """The exit code, waiting at most ``seconds``."""
        return self.process.wait(timeout=seconds)


def migrated_sqlite(folder: Path) -> str:
    """A SQLite database URL in ``folder``, migrated."""
    url = f"sqlite:///{folder / 'app.db'}"
    asyncio.run(migrate_storage("sql", database_url=url, mongo_url=""))
    return url


@contextmanager
def serving(folder: Path, *args: str, **env: str) -> Iterator[RunningServer]:
    """``python -m api serve`` on a fresh SQLite database in ``folder``, until the block ends."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    environment.update({"DATABASE_URL": migrated_sqlite(folder), "STORAGE_BACKEND": "sql"})
    environment.update(env)
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--port", str(port), *args],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = RunningServer(process, port, log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(server: RunningServer) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if httpx.get(server.url + "/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.process.poll() is None, "\n".join(server.log_lines()[-30:])
        assert time.monotonic() < deadline, "server did not answer /health in time"
        time.sleep(0.2)


def read_response(sock: socket.socket, seconds: float = 30) -> bytes:
    """Everything the server sends until it closes the connection (or ``seconds`` pass)."""
    sock.settimeout(seconds)
    received = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return received
        received += chunk


def status_of(response: bytes) -> int:
    """The status code of a raw HTTP/1.1 response (0 if there is none)."""
    first = response.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) >= 2 and first[0].startswith(b"HTTP/") else 0


def post_user_request(email: str) -> tuple[bytes, bytes]:
    """The head and body of ``POST /users`` for a new user with ``email``."""
    username = "".join(c for c in email.partition("@")[0] if c.isalnum())[:30] or "user"
    account = {"username": username, "password": "correct horse battery"}
    body = json.dumps({**account, "name": "Ada", "email": email, "age": 36}).encode()
    head = (
        "POST /users HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head, body


@dataclass
class Server:
    """A running server: its address, and (once stopped) everything it printed."""

    host: str
    port: int
    output: str = field(default="")

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"


@contextmanager
def served(env: Mapping[str, str], *args: str, timeout: float = 30) -> Iterator[Server]:
    """Run ``python -m api serve`` with ``env`` added to the environment.

    Yields once ``/health`` answers; stops the server afterwards and keeps its
    output in ``Server.output`` (a file, not a pipe: a chatty server must never
    block on a full pipe while the test waits on it).
    """
    server = Server("127.0.0.1", free_port())
    environment = {**os.environ, **env}
    command = [sys.executable, "-m", "api", "serve", "--port", str(server.port), *args]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        try:
            _wait_until_served(server, process, log, timeout)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.seek(0)
            server.output = log.read()


def listens_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds a listening TCP socket on ``port``.

    Another program may take a port between ``free_port()`` and the server's
    bind; then whatever answers there is not the server under test.
    """
    try:
        sockets = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return False
    return any(s.status == psutil.CONN_LISTEN and s.laddr and s.laddr.port == port for s in sockets)


def _wait_until_served(
    server: Server, process: subprocess.Popen[str], log: IO[str], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{server.url}/health", timeout=2)
            if listens_on(process.pid, server.port):
                return
            raise httpx.TransportError("another program answers on the port")
        except httpx.TransportError:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(
                    f"server exited with {process.returncode}:\n{log.read()}"
                ) from None
            assert time.monotonic() < deadline, f"server did not answer within {timeout} s"
            time.sleep(0.2)
