"""Run the service (or the raw baseline) as a real uvicorn process, and watch its memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import psutil

START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server process (and its workers, if any)."""

    process: subprocess.Popen[bytes]
    base_url: str

    def rss_bytes(self) -> int:
        """Resident memory of the server and its worker processes."""
        parent = psutil.Process(self.process.pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])


def _wait_until_up(server: Server, probe: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with code {server.process.returncode}")
        try:
            if httpx.get(server.base_url + probe, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer {probe} within {START_TIMEOUT_SECONDS} s")


@contextmanager
def running(command: list[str], env: dict[str, str], port: int, probe: str) -> Iterator[Server]:
    """Start ``command`` (which must listen on ``port``), wait for ``probe``, stop it after.

    The server's log goes to a temporary file, as a container runtime would
    collect it: a pipe nobody reads would fill and stall a server that logs
    every request.
    """
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log
        )
        server = Server(process, f"http://127.0.0.1:{port}")
        try:
            _wait_until_up(server, probe)
            yield server
        except RuntimeError as exc:
            process.kill()
            process.wait()
            log.seek(0)
            errors = log.read().decode(errors="replace")
            raise RuntimeError(f"{exc}\n{errors[-2000:]}") from exc
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


OBSERVABILITY_OFF = {"ACCESS_LOG": "false", "SERVER_TIMING": "false", "METRICS_ENABLED": "false"}
"""The service without its request log, Server-Timing and metrics."""
SERVER_TIMING_ONLY = {**OBSERVABILITY_OFF, "SERVER_TIMING": "true"}
"""The main runs: no request log or metrics, but ``Server-Timing`` (on by default), from
which k6 reads each response's time in the store (``bench/workload.js``)."""
OBSERVABILITY_ON = {
    "ACCESS_LOG": "true",
    "SERVER_TIMING": "true",
    "METRICS_ENABLED": "true",
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "info",
}
"""Everything an operator would turn on: a JSON line per request, Server-Timing, metrics."""


def api_command(port: int, workers: int) -> list[str]:
    """The production entry point; what it logs is set by the environment (``OBSERVABILITY_*``)."""
    return [
        sys.executable, "-m", "api", "serve", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip


def baseline_command(port: int, workers: int) -> list[str]:
    """The raw-driver baseline under the same server and settings."""
    return [
        sys.executable, "-m", "uvicorn", "bench.baseline:create_baseline_app", "--factory",
        "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
