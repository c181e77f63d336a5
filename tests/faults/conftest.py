"""Which fault tests run, and the private servers they break.

The rule: PostgreSQL fault tests run when TEST_POSTGRES_URL is set and
MariaDB ones when TEST_MYSQL_URL is set (the variable says the machine has
that database, so its binaries are expected: a missing one fails the run
with its name); the Mongo stand-in and SQLite ones always run. A module left
out is named in the report header, never silently dropped, never skipped.
Each module starts its own server once and removes it at the end, whatever
happened; the machine's shared servers are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.enabling import left_out
from tests.faults.servers import PrivateMariaDB, PrivatePostgres, StandinServer

collect_ignore = left_out()  # named in the report header by tests/conftest.py


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL cluster with an ``app`` database, for this module only."""
    server = PrivatePostgres()
    try:
        server.start()
        server.create_database()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def mariadb() -> Iterator[PrivateMariaDB]:
    """A private MariaDB instance with an ``app`` database, for this module only."""
    server = PrivateMariaDB()
    try:
        server.start()
        server.create_database()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def standin() -> Iterator[StandinServer]:
    """A private mongoeco stand-in on a SQLite file, for this module only."""
    server = StandinServer()
    try:
        server.start()
        yield server
    finally:
        server.destroy()
