"""Which scale-out modules run: the rule, in one place (as ``tests/faults/enabling.py``).

A module runs when its variable says the machine has that server (and so its
binaries); it starts private instances of its own, never the shared server.
A module left out is named in the report header, never skipped silently.
"""

from __future__ import annotations

import os

ENABLING = {
    "test_shared_state.py": ("TEST_REDIS_URL",),
    "test_replicas.py": ("TEST_REDIS_URL",),
    "test_galera.py": ("TEST_MYSQL_URL", "TEST_REDIS_URL"),
}
"""Module -> the variables that say the machine has those servers (and their binaries)."""
ENGINES = {"postgres": "TEST_POSTGRES_URL", "mariadb": "TEST_MYSQL_URL"}
"""Engines ``test_replicas.py`` runs on -> the variable that says the machine has it."""


def _missing(module: str) -> list[str]:
    missing = [variable for variable in ENABLING[module] if not os.environ.get(variable)]
    if module == "test_replicas.py" and not any(map(os.environ.get, ENGINES.values())):
        missing.append(" or ".join(ENGINES.values()))  # an engine to replicate
    return missing


def left_out() -> list[str]:
    """The modules missing a variable."""
    return [module for module in ENABLING if _missing(module)]


def header() -> list[str]:
    """One report-header line per module or engine left out, naming what is not set."""
    lines = [
        f"scale-out tests left out: {module} ({', '.join(_missing(module))} not set)"
        for module in left_out()
    ]
    return lines + [
        f"replica tests left out: {engine} ({variable} is not set)"
        for engine, variable in ENGINES.items()
        if not os.environ.get(variable)
    ]
