"""Count what a storage sends to its database: SQL statements or MongoDB commands.

Used by the benchmark (round trips per request, per scenario) and by the
test suite (a page of posts costs the same at any size).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymongo import monitoring
from sqlalchemy import event

# Handshakes and heartbeats are the driver's own, not the request's.
_DRIVER_COMMANDS = frozenset({"hello", "isMaster", "ismaster", "ping", "endSessions"})


class _CommandRecorder(monitoring.CommandListener):
    """Records the name of every command PyMongo sends while ``active``."""

    def __init__(self) -> None:
        self.active = False
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.active and event.command_name not in _DRIVER_COMMANDS:
            self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


_MONGO_COMMANDS = _CommandRecorder()
# Registered once, at import: PyMongo applies it to every client created afterwards,
# so import this module before the storage opens its client.
monitoring.register(_MONGO_COMMANDS)


@contextmanager
def counting_round_trips(storage: Any) -> Iterator[list[str]]:
    """Collect, inside the block, what ``storage`` sends to its database.

    SQL: every statement the engine executes. MongoDB: every command (a real
    server only: the in-process double sends none).
    """
    if storage.backend == "mongo":
        _MONGO_COMMANDS.commands = []
        _MONGO_COMMANDS.active = True
        try:
            yield _MONGO_COMMANDS.commands
        finally:
            _MONGO_COMMANDS.active = False
        return
    statements: list[str] = []
    engines = [engine.sync_engine for engine in storage.engines]

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
