"""A private ``redis-server`` on a free loopback port, which a test may stop and start again.

Never the machine's shared Redis: the tests that need Redis run only when
TEST_REDIS_URL says the machine has it (and its binary), and each starts its own.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import redis

from tests.faults.servers import START_SECONDS, free_port, wait_until


class PrivateRedis:
    """``redis-server`` without persistence in a temp dir; ``stop``/``start`` keep its port."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found (TEST_REDIS_URL is set): install it")
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="scaleout-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and return once it answers PING."""
        command = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.root), "--protected-mode", "no",
        ]  # fmt: skip
        with (self.root / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self.answers, f"redis-server on port {self.port}", START_SECONDS)

    def answers(self) -> bool:
        """Whether the server answers PING now."""
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited: {(self.root / 'redis.log').read_text()}")
        try:
            with redis.Redis(port=self.port, socket_timeout=1) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def client(self) -> redis.Redis:
        """A synchronous client, for a test to look at the keys."""
        return redis.Redis(port=self.port, socket_timeout=2)

    def stop(self) -> None:
        """Stop the server (its data is gone: no persistence)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=START_SECONDS)
            self.process = None

    def destroy(self) -> None:
        """Stop the server however it was left, and remove its files."""
        try:
            if self.process is not None:
                self.process.kill()
                self.process.wait(timeout=START_SECONDS)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
