"""A real ``python -m api serve`` process for tests that need sockets, signals and workers."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

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
    body = json.dumps({"name": "Ada", "email": email, "age": 36}).encode()
    head = (
        "POST /users HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head, body
