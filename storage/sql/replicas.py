"""The one place that decides which server a read goes to: ``ReadRouter``.

A read goes to a replica when the replica is

* **up**: the monitor's last probe answered, and no read has failed on it since;
* **within the lag bound**: it had everything the primary had no longer than
  ``DATABASE_READ_MAX_LAG`` seconds ago, counted up to *now* (``readable_until``;
  a monitor that stops sampling cannot keep a replica in use);
* **far enough for the caller**: its replayed position has reached the
  position the request requires (``storage.consistency``: the caller's
  last write), if any.

Otherwise it goes to the primary: the plain one for anyone, the ``fresh`` one
for a read that must see a write (on Galera a connection that waits for its
node to apply everything committed before the read, ``wsrep_sync_wait``;
elsewhere the primary itself). Replicas that qualify take turns.

All of that is read from plain attributes that ``ReplicaMonitor`` writes in
the background: choosing costs no round trip and no lock. The router does not
care what a target's ``executor`` is (an engine today); whoever runs the read
reports a replica that failed with ``failed``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from storage.consistency import Position


@dataclass(eq=False)
class ReadTarget[T]:
    """A server reads can go to, and what the monitor last learnt about it."""

    name: str
    """Where it is, for ``/health`` and metrics: host, port, database; never credentials."""
    executor: T
    """What runs reads on it."""
    is_primary: bool = False
    up: bool = False
    """The last probe answered (and no read failed since)."""
    position: Position | None = None
    """What it had replayed at the last probe."""
    caught_up_at: float | None = None
    """``time.monotonic()`` when the primary last stood where this replica now is: its lag
    is at most the time since. None if unknown (down, or behind all the monitor has seen)."""
    readable_until: float = 0.0
    """``time.monotonic()`` until which its lag stays within the bound (if it replays nothing)."""


class ReadRouter[T]:
    """Primary or replica, per read, from the monitor's figures."""

    def __init__(
        self,
        primary: ReadTarget[T],
        replicas: list[ReadTarget[T]],
        fresh: ReadTarget[T] | None = None,
    ) -> None:
        self.primary = primary
        self.fresh = fresh or primary
        """The primary for reads that must see every committed write."""
        self.replicas = replicas
        self._turn = 0

    def choose(self, required: Position | None) -> ReadTarget[T]:
        """Where the next read goes; ``required`` is the position it must see (None: any)."""
        replicas = self.replicas
        count = len(replicas)
        if count:
            now = time.monotonic()
            for _ in range(count):
                self._turn = (self._turn + 1) % count
                replica = replicas[self._turn]
                if replica.up and now < replica.readable_until:
                    position = replica.position
                    if required is None or (position is not None and position.reached(required)):
                        return replica
        return self.primary if required is None else self.fresh

    def failed(self, target: ReadTarget[T]) -> None:
        """A read could not reach ``target``: leave it out until the monitor reaches it again."""
        if not target.is_primary:
            target.up = False
            target.readable_until = 0.0
