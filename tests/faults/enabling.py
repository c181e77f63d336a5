"""Which fault-test modules run: the rule, in one place (see ``tests/faults/conftest.py``)."""

from __future__ import annotations

import os

ENABLING = {
    "test_postgres_faults.py": "TEST_POSTGRES_URL",
    "test_mariadb_faults.py": "TEST_MYSQL_URL",
}
"""Module -> the variable that says the machine has that database (and its binaries)."""


def left_out() -> list[str]:
    """The fault modules whose variable is not set."""
    return [module for module, variable in ENABLING.items() if not os.environ.get(variable)]


def header() -> list[str]:
    """One report-header line per module left out, naming the variable."""
    return [
        f"fault tests left out: {module} ({ENABLING[module]} is not set)" for module in left_out()
    ]
