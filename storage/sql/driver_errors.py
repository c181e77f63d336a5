"""Driver exceptions of the read pools (``storage.sql.read_pools``) as neutral storage errors.

The reads run on the drivers directly, so their exceptions arrive unwrapped
(SQLAlchemy wraps those of the writes: ``storage.sql.errors``). The same codes
decide: a server that is away, starting, stopping or full is ``Unavailable``
(503), a statement it cancelled for running too long is ``TimedOut`` (504).
Anything else is a bug and propagates unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import asyncmy.errors
import asyncpg  # type: ignore[import-untyped]

from storage.errors import TimedOut, Unavailable
from storage.sql.errors import (
    _MYSQL_TIMED_OUT,
    _MYSQL_UNAVAILABLE,
    _PG_TIMED_OUT,
    _PG_UNAVAILABLE,
    _PG_UNAVAILABLE_CLASS,
)

# The drivers' own "the link is gone / unusable" exceptions, whatever their code.
_LINK_ERRORS = (
    OSError,  # ConnectionError included: refused, reset, unreachable
    TimeoutError,  # the operation's deadline, a driver's client-side timeout
    asyncpg.InterfaceError,  # asyncpg: the connection is closed or mid-operation
    asyncpg.PostgresConnectionError,
    # asyncpg's protocol caught mid-operation by the server closing the link
    # ("cannot switch to state 12"), seen while PostgreSQL shuts down.
    asyncpg.InternalClientError,
    asyncmy.errors.InterfaceError,
    asyncmy.errors.OperationalError,  # lost connection, server gone, too many connections
    sqlite3.OperationalError,  # locked, unreadable, gone
)


@contextmanager
def translate_driver_errors() -> Iterator[None]:
    """Run one read operation, turning driver errors into ``Unavailable``/``TimedOut``."""
    try:
        yield
    except (TimedOut, Unavailable):
        raise
    except Exception as exc:
        neutral = _neutral(exc)
        if neutral is None:
            raise
        raise neutral from exc


def _neutral(exc: Exception) -> Unavailable | None:
    code = _code(exc)
    first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
    if code in _PG_TIMED_OUT or code in _MYSQL_TIMED_OUT:
        return TimedOut(f"Statement cancelled by the database: {first_line}")
    if isinstance(exc, sqlite3.OperationalError) and "interrupted" in str(exc):
        return TimedOut("Statement interrupted: the operation ran out of time")
    if (
        isinstance(exc, _LINK_ERRORS)
        or code in _PG_UNAVAILABLE
        or code in _MYSQL_UNAVAILABLE
        or (isinstance(code, str) and code.startswith(_PG_UNAVAILABLE_CLASS))
    ):
        if isinstance(exc, TimeoutError):
            return Unavailable("Database unavailable: no answer in time")
        return Unavailable(f"Database unavailable: {first_line}")
    return None


def _code(exc: Exception) -> str | int | None:
    """SQLSTATE (asyncpg) or error number (asyncmy); None for the others."""
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    return None
