"""Count what a storage sends to its database: SQL statements or MongoDB commands.

Used by the benchmark (round trips per request, per scenario) and by the
test suite (a page of posts costs the same at any size). It is the same
counter the API's ``Server-Timing`` header and request log read
(``storage.instrumentation``), asked to keep the statement names too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from storage.instrumentation import measuring


@contextmanager
def counting_round_trips(storage: Any = None) -> Iterator[list[str]]:
    """Collect, inside the block, the statements or commands sent to the database.

    SQL: every statement either engine executes. MongoDB: every command
    (PyMongo's command monitoring, on a real server or the stand-in). Only what
    this task (and the requests it makes in process) sends is counted;
    ``storage`` is accepted for callers that name it, and not needed.
    """
    with measuring(names=True) as tally:
        assert tally.names is not None
        yield tally.names
