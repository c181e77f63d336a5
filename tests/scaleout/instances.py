"""API instances for the scale-out tests: in process (ASGI) or as real ``python -m api serve``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from api.main import create_app
from api.settings import Settings
from tests.conftest import FAST_HASHES
from tests.faults.servers import ROOT, free_port
from tests.servers import listens_on

START_SECONDS = 60.0


@asynccontextmanager
async def instance(**settings: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app with ``settings`` (lifespan run, database as it is) and a client talking to it."""
    values: dict[str, Any] = {"environment": "development", **FAST_HASHES, **settings}
    app = create_app(Settings(_env_file=None, **values))  # type: ignore[call-arg]
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


class ServedInstance:
    """One ``python -m api serve`` process on a free port, its output in ``log``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the service; return once ``/health`` answers from this process."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DB_"))}
        environment = {**base, "ENVIRONMENT": "development", "LOG_LEVEL": "warning", **self.env}
        command = [sys.executable, "-m", "api", "serve", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--no-access-log"],
                env=environment,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                answered = httpx.get(f"{self.url}/health", timeout=2).status_code == 200
            except httpx.TransportError:
                answered = False
            if answered and listens_on(self.process.pid, self.port):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited: {self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the service did not answer: {self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM, and wait for the process to exit."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=START_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextmanager
def served(count: int, env: dict[str, str], folder: Path) -> Iterator[list[ServedInstance]]:
    """``count`` instances with the same ``env`` (each may add its own), stopped at the end."""
    instances = [ServedInstance(dict(env), folder / f"api-{i}.log") for i in range(count)]
    try:
        for one in instances:
            one.start()
        yield instances
    finally:
        for one in instances:
            one.stop()


def migrate(env: dict[str, str]) -> None:
    """``python -m api migrate`` with ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DB_"))}
    result = subprocess.run(
        [sys.executable, "-m", "api", "migrate"],
        env={**base, "ENVIRONMENT": "development", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=START_SECONDS * 2,
        check=False,
    )
    assert result.returncode == 0, result.stderr
