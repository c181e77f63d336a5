"""Private servers for the scale-out tests: each module starts its own and removes it at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scaleout.enabling import left_out
from tests.scaleout.redis_server import PrivateRedis

collect_ignore = left_out()  # named in the report header by tests/conftest.py


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    """A private redis-server for this module."""
    server = PrivateRedis()
    try:
        server.start()
        yield server
    finally:
        server.destroy()
