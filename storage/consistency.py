"""Read your writes when reads may be served by copies that lag: commit positions and the caller.

A store whose reads can come from a copy (PostgreSQL or MariaDB replicas, other
Galera nodes, MongoDB secondaries) says so with ``Storage.read_lag_bound``. The
API then keeps, per signed-in caller, the newest commit ``Position`` that
caller's writes reached (in Redis when several instances share it), and puts a
``Consistency`` for the request in this module's context variable before the
request's first read. The store reads it:

* a read is served by a copy only if the copy has replayed past
  ``Consistency.required``, else by the primary;
* a write that commits reports where the primary stood afterwards
  (``Consistency.wrote``), which raises ``required`` for the rest of the
  request and is handed to ``record`` so that the caller's next request, on
  any instance, requires it too.

Nothing here is per backend: a ``Position`` is a set of counters, and one
position has *reached* another when every counter is at least as far. Each
backend builds them from what its engine reports (PostgreSQL's WAL LSN, a
MariaDB GTID position per replication domain, MongoDB's operation time).
Without a ``Consistency`` in context (anonymous callers, tools) reads may be
as old as the lag bound allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar

_WIDTH = 20  # digits of a counter in text form: 2**64 has 20


class Position:
    """A commit position: named counters, compared counter by counter.

    ``marks`` maps a component (``"lsn"``, a GTID domain, ``"t"``) to a
    non-negative counter. ``token`` is opaque engine data that travels with the
    position (MongoDB's signed ``$clusterTime``), kept from the newer side
    when positions merge.
    """

    __slots__ = ("marks", "token")

    def __init__(self, marks: Mapping[str, int], token: bytes | None = None) -> None:
        self.marks = dict(marks)
        self.token = token

    def reached(self, required: Position) -> bool:
        """Whether a copy standing at this position has everything ``required`` names."""
        marks = self.marks
        return all(marks.get(name, -1) >= count for name, count in required.marks.items())

    def merged(self, other: Position | None) -> Position:
        """The position that has reached both (each counter's maximum)."""
        if other is None:
            return self
        marks = dict(self.marks)
        raised = False
        for name, count in other.marks.items():
            if count > marks.get(name, -1):
                marks[name] = count
                raised = True
        return Position(marks, (other.token or self.token) if raised else self.token)

    def fields(self) -> dict[str, str]:
        """The counters as fixed-width text (shared state compares them as strings)."""
        return {name: f"{count:0{_WIDTH}d}" for name, count in self.marks.items()}

    @classmethod
    def from_fields(cls, fields: Mapping[str, str], token: bytes | None = None) -> Position:
        """The inverse of ``fields``."""
        return cls({name: int(text) for name, text in fields.items()}, token)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Position) and (self.marks, self.token) == (
            other.marks,
            other.token,
        )

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.marks.items())), self.token))

    def __repr__(self) -> str:
        return f"Position({self.marks!r})"


UNKNOWN = Position({"unknown": 2**63})
"""A position no copy reaches: the caller's reads go to the primary (its own position is lost)."""

Record = Callable[[Position], Awaitable[None]]


class Consistency:
    """What one request's reads must see, and where to report its writes.

    ``required`` is None for a caller with no recent write. ``record`` keeps a
    new position for the caller's next requests (None: nobody to keep it for).
    """

    __slots__ = ("_unrecorded", "record", "required")

    def __init__(self, required: Position | None = None, record: Record | None = None) -> None:
        self.required = required
        self.record = record
        self._unrecorded: Position | None = None

    def noted(self, position: Position) -> None:
        """This request saw the primary at ``position`` (its write committed there, or a
        fresh read): later reads in it must see it, and ``flush`` keeps it for the caller."""
        self.required = position.merged(self.required)
        self._unrecorded = position.merged(self._unrecorded)

    async def flush(self) -> None:
        """Keep what was ``noted`` since the last flush for the caller's next requests."""
        position, self._unrecorded = self._unrecorded, None
        if position is not None and self.record is not None:
            await self.record(position)

    async def wrote(self, position: Position) -> None:
        """A write committed at ``position``: ``noted``, then ``flush``."""
        self.noted(position)
        await self.flush()


_current: ContextVar[Consistency | None] = ContextVar("storage_consistency", default=None)


def current() -> Consistency | None:
    """The request's ``Consistency``, or None (reads may lag by the store's bound)."""
    return _current.get()


def track(consistency: Consistency) -> None:
    """Make ``consistency`` the current request's (each request runs in its own context)."""
    _current.set(consistency)
