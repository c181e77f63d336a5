"""A real server for the tests that need sockets: ``python -m api serve`` in a subprocess.

Unlike ``bench.server.running`` it keeps what the server printed, for tests that read it.
"""

from __future__ import annotations

import os
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

from bench.server import free_port

ROOT = Path(__file__).resolve().parent.parent


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
            _wait_until_up(server, process, log, timeout)
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


def _wait_until_up(
    server: Server, process: subprocess.Popen[str], log: IO[str], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{server.url}/health", timeout=2)
            return
        except httpx.TransportError:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(
                    f"server exited with {process.returncode}:\n{log.read()}"
                ) from None
            assert time.monotonic() < deadline, f"server did not answer within {timeout} s"
            time.sleep(0.2)
