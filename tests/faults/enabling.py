"""Which private servers the fault tests break: the rule, in one place (see conftest.py)."""

from __future__ import annotations

import os

ENABLING = {
    "postgres": "TEST_POSTGRES_URL",
    "mariadb": "TEST_MYSQL_URL",
}
"""Server -> the variable that says the machine has that database (and its binaries).
The Mongo stand-in (and SQLite, which has no server) always run."""


def enabled(server: str) -> bool:
    """Whether the fault tests run against ``server`` (postgres, mariadb, mongo)."""
    variable = ENABLING.get(server)
    return variable is None or bool(os.environ.get(variable))


def header() -> list[str]:
    """One report-header line per server left out, naming the variable."""
    return [
        f"fault tests left out: {server} ({variable} is not set)"
        for server, variable in ENABLING.items()
        if not enabled(server)
    ]
