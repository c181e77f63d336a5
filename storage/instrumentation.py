"""What a storage sends to its database, counted and timed per request: the instrumentation hook.

The API (for ``Server-Timing``, the request log and metrics), the benchmark and
the tests all need to know how many round trips an operation cost and how long
they took. Each backend reports every round trip here, from the driver's own
hooks, registered when its engine or client is built:

* SQL: every statement, from SQLAlchemy's ``before/after_cursor_execute``
  events on both engines (``storage.sql.instrumentation``); transaction control
  (BEGIN, COMMIT) is not a statement and is not counted;
* MongoDB: every command, from a PyMongo ``CommandListener`` given to the
  client (``storage.mongo.instrumentation``).

Counting is scoped by a context variable, so concurrent requests never mix
their figures and nothing is counted outside ``measuring()``: a backend's
report costs one ``ContextVar.get`` when nobody measures. No driver object
crosses this module: callers see ``RoundTrips`` and ``PoolUsage`` only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass
class RoundTrips:
    """Round trips counted inside one ``measuring()`` block."""

    count: int = 0
    seconds: float = 0.0
    """Time spent waiting for the database (driver execute to result)."""
    names: list[str] | None = None
    """The statements or command names sent, when asked for (tests, benchmark)."""

    def add(self, other: RoundTrips) -> None:
        """Fold a nested block's figures into this one."""
        self.count += other.count
        self.seconds += other.seconds
        if self.names is not None and other.names is not None:
            self.names.extend(other.names)


@dataclass(frozen=True)
class PoolUsage:
    """One connection pool's state at one moment, for metrics."""

    pool: str
    """Which pool: ``write``/``read`` (SQL engines) or ``mongo``."""
    in_use: int
    """Connections lent to an operation right now."""
    open: int
    """Connections open, idle or in use."""
    size: int | None = None
    """The most connections the pool opens (per server on MongoDB); ``None`` if unbounded."""


@dataclass(frozen=True)
class ReplicaStatus:
    """One read replica (or secondary) as the service sees it, for ``/health`` and metrics."""

    name: str
    """Where it is: host, port and database, never credentials."""
    state: str
    """``ok`` (reads go there), ``lagging`` (further behind than the bound: not read) or
    ``down`` (did not answer: not read)."""
    lag_seconds: float | None
    """How far behind the primary it was at the last probe (an upper bound); None if unknown."""


_current: ContextVar[RoundTrips | None] = ContextVar("storage_round_trips", default=None)


@contextmanager
def measuring(*, names: bool = False) -> Iterator[RoundTrips]:
    """Count and time the round trips made inside the block, in this context only.

    Blocks nest: an inner block's figures are added to the outer one when it
    ends (a test measuring around an HTTP call sees what the request measured).
    ``names=True`` also keeps each statement or command name.
    """
    outer = _current.get()
    keep = names or (outer is not None and outer.names is not None)
    tally = RoundTrips(names=[] if keep else None)
    token = _current.set(tally)
    try:
        yield tally
    finally:
        _current.reset(token)
        if outer is not None:
            outer.add(tally)


def begin() -> tuple[RoundTrips, Token[RoundTrips | None]]:
    """Start counting this context's round trips until ``end``: ``measuring`` in two calls.

    For the request middleware, which runs on every request: no generator-based
    context manager. Like ``measuring``, it nests in an outer block.
    """
    outer = _current.get()
    tally = RoundTrips(names=[] if outer is not None and outer.names is not None else None)
    return tally, _current.set(tally)


def end(tally: RoundTrips, token: Token[RoundTrips | None]) -> None:
    """Stop the count ``begin`` started; an outer block gets its figures."""
    _current.reset(token)
    outer = _current.get()
    if outer is not None:
        outer.add(tally)


def started(name: str, tally: RoundTrips | None = None) -> RoundTrips | None:
    """A backend is sending ``name``: count it; returns the tally to time it with, if any.

    ``tally`` is the one to count in, when the caller took it from ``current()``
    in another thread (this context's is the default).
    """
    tally = tally or _current.get()
    if tally is not None:
        tally.count += 1
        if tally.names is not None:
            tally.names.append(name)
    return tally


def current() -> RoundTrips | None:
    """The tally of the innermost ``measuring()`` block around this code, if any."""
    return _current.get()


def finished(tally: RoundTrips | None, seconds: float) -> None:
    """Add the time a round trip (counted by ``started``) took to its tally."""
    if tally is not None:
        tally.seconds += seconds


@dataclass
class PoolCounter:
    """Connection counts kept from a driver's pool events (MongoDB: no pool API to read)."""

    pool: str
    size: int | None = None
    in_use: int = 0
    open: int = 0

    def usage(self) -> PoolUsage:
        """The counts now."""
        return PoolUsage(self.pool, max(self.in_use, 0), max(self.open, 0), self.size)
