"""The real service, ``python -m api serve``, as a process a test can kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.faults.servers import ROOT, free_port
from tests.servers import listens_on

START_SECONDS = 60.0


def migrate(env: dict[str, str]) -> None:
    """``python -m api migrate`` with ``env`` (what an operator runs first)."""
    result = subprocess.run(
        [sys.executable, "-m", "api", "migrate"],
        env=_environment(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _environment(env: dict[str, str]) -> dict[str, str]:
    # The test run's own TEST_* variables and a developer's .env must not leak in.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DB_", "MONGO_"))}
    return {**base, "LOG_LEVEL": "warning", **env}


class Service:
    """One ``python -m api serve`` process on a free port, its output in ``log``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the service and return once ``GET /`` answers."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api", "serve", "--port", str(self.port), "--no-access-log"],
                env=_environment(self.env),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                answered = httpx.get(f"{self.base_url}/", timeout=2).status_code == 200
            except httpx.TransportError:
                answered = False
            # Another program may have taken the port between free_port() and
            # the bind: then the answer is not ours, and the test must not go on.
            if answered and listens_on(self.process.pid, self.port):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited: {self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the service did not answer: {self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: the process dies mid-request, nothing is flushed or closed."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM, and wait for the process to exit."""
        self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=START_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
