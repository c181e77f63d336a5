"""The mongoeco wire server the test run starts when no TEST_MONGO_URL is given.

It runs in its own process (``python -m storage.mongo.standin``), so the
server and the application under test each have an interpreter of their own
and requests really overlap, as against a MongoDB server.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_SECONDS = 30


@contextmanager
def standin_server(directory: Path, *, sqlite_file: Path | None = None) -> Iterator[str]:
    """Start a stand-in server (memory engine, or SQLite at ``sqlite_file``); yield its URL."""
    command = [sys.executable, "-m", "storage.mongo.standin"]
    if sqlite_file is not None:
        command += ["--path", str(sqlite_file)]
    log = (directory / "mongoeco.log").open("w")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=log, text=True, cwd=Path(__file__).parent.parent
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("mongodb://"):
            process.wait(timeout=START_TIMEOUT_SECONDS)
            log.flush()
            raise RuntimeError(
                "the mongoeco stand-in did not start: "
                + (directory / "mongoeco.log").read_text()[-2000:]
            )
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=START_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        if process.stdout is not None:
            process.stdout.close()
