"""MongoDB side of ``storage.instrumentation``: commands counted and timed, pools tallied.

Both listeners are given to each ``AsyncMongoClient`` when it is built
(``storage.mongo.connection``), never registered globally, so two clients in one
process (tests, the benchmark) keep separate pool figures.
"""

from __future__ import annotations

from pymongo import monitoring

from storage import instrumentation
from storage.instrumentation import PoolCounter

# The driver's own traffic on a request's connection (handshakes, session
# clean-up at close), not a round trip the operation asked for.
DRIVER_COMMANDS = frozenset({"hello", "isMaster", "ismaster", "endSessions"})


class CommandTimer(monitoring.CommandListener):
    """Counts each command when sent, adds the server's reply time when it answers."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in DRIVER_COMMANDS:
            instrumentation.started(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._finished(event.command_name, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._finished(event.command_name, event.duration_micros)

    @staticmethod
    def _finished(name: str, micros: int) -> None:
        if name not in DRIVER_COMMANDS:
            instrumentation.finished(instrumentation.current(), micros / 1_000_000)


class PoolTally(monitoring.ConnectionPoolListener):
    """Connections open and checked out, summed over the client's pools (one per server).

    PyMongo has no public API that reads a pool's state; its pool events are the
    documented way to follow it.
    """

    def __init__(self, size: int | None) -> None:
        self.counter = PoolCounter("mongo", size=size)

    def connection_created(self, event: monitoring.ConnectionCreatedEvent) -> None:
        self.counter.open += 1

    def connection_closed(self, event: monitoring.ConnectionClosedEvent) -> None:
        self.counter.open -= 1

    def connection_checked_out(self, event: monitoring.ConnectionCheckedOutEvent) -> None:
        self.counter.in_use += 1

    def connection_checked_in(self, event: monitoring.ConnectionCheckedInEvent) -> None:
        self.counter.in_use -= 1

    # The other pool events change neither count.
    def pool_created(self, event: monitoring.PoolCreatedEvent) -> None:
        pass

    def pool_ready(self, event: monitoring.PoolReadyEvent) -> None:
        pass

    def pool_cleared(self, event: monitoring.PoolClearedEvent) -> None:
        pass

    def pool_closed(self, event: monitoring.PoolClosedEvent) -> None:
        pass

    def connection_ready(self, event: monitoring.ConnectionReadyEvent) -> None:
        pass

    def connection_check_out_started(
        self, event: monitoring.ConnectionCheckOutStartedEvent
    ) -> None:
        pass

    def connection_check_out_failed(self, event: monitoring.ConnectionCheckOutFailedEvent) -> None:
        pass
