"""Which scale-out modules run: the rule, in one place (as ``tests/faults/enabling.py``).

A module runs when its variable says the machine has that server (and so its
binaries); it starts private instances of its own, never the shared server.
A module left out is named in the report header, never skipped silently.
"""

from __future__ import annotations

import os

ENABLING = {
    "test_shared_state.py": "TEST_REDIS_URL",
}
"""Module -> the variable that says the machine has that server (and its binaries)."""


def left_out() -> list[str]:
    """The modules whose variable is not set."""
    return [module for module, variable in ENABLING.items() if not os.environ.get(variable)]


def header() -> list[str]:
    """One report-header line per module left out, naming the variable."""
    return [f"scale-out tests left out: {m} ({ENABLING[m]} is not set)" for m in left_out()]
