"""Every error a restarting, frozen, full or slow server raises, and what it becomes.

The fault tests (``tests/faults``) meet these for real, but which class a
run meets depends on timing; this table pins each one, built the way
SQLAlchemy and PyMongo build it, through each backend's one translation place.
"""

from __future__ import annotations

import asyncmy.errors as asyncmy_errors
import asyncpg.exceptions as pg
import pytest
from pymongo.errors import (
    AutoReconnect,
    ExecutionTimeout,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    ServerSelectionTimeoutError,
    WaitQueueTimeoutError,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.mysql.asyncmy import dialect as asyncmy_dialect
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from storage.errors import StorageError, TimedOut, Unavailable
from storage.mongo.errors import translate_errors as translate_mongo
from storage.sql.errors import translate_errors as translate_sql


def _as_sqlalchemy_raises_asyncpg(error: Exception) -> BaseException:
    """``error`` adapted and wrapped as SQLAlchemy does for an asyncpg failure."""
    dialect = asyncpg_dialect()
    dbapi = dialect.import_dbapi()
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(dbapi, error)
    except Exception as adapted:
        return sa_exc.DBAPIError.instance(None, None, adapted, dbapi.Error, dialect=dialect)
    raise AssertionError("not raised")


def _as_sqlalchemy_raises_asyncmy(errno: int, message: str) -> BaseException:
    """An asyncmy error number wrapped as SQLAlchemy does (asyncmy's own classes)."""
    error = asyncmy_errors.OperationalError(errno, message)
    dialect = asyncmy_dialect()
    return sa_exc.DBAPIError.instance(None, None, error, asyncmy_errors.Error, dialect=dialect)


SQL_CASES = [
    # PostgreSQL starting up, shutting down, crashed, full, or the link gone
    (_as_sqlalchemy_raises_asyncpg(pg.CannotConnectNowError("starting up")), Unavailable),
    (_as_sqlalchemy_raises_asyncpg(pg.AdminShutdownError("terminating")), Unavailable),
    (_as_sqlalchemy_raises_asyncpg(pg.CrashShutdownError("crash")), Unavailable),
    (_as_sqlalchemy_raises_asyncpg(pg.TooManyConnectionsError("too many")), Unavailable),
    (_as_sqlalchemy_raises_asyncpg(pg.ConnectionDoesNotExistError("closed")), Unavailable),
    (_as_sqlalchemy_raises_asyncpg(pg.ConnectionFailureError("failed")), Unavailable),
    (_as_sqlalchemy_raises_asyncpg(ConnectionResetError("reset")), Unavailable),
    # PostgreSQL cancelled the statement itself
    (_as_sqlalchemy_raises_asyncpg(pg.QueryCanceledError("statement timeout")), TimedOut),
    (_as_sqlalchemy_raises_asyncpg(pg.LockNotAvailableError("lock timeout")), TimedOut),
    # MariaDB/MySQL
    (_as_sqlalchemy_raises_asyncmy(2003, "Can't connect"), Unavailable),
    (_as_sqlalchemy_raises_asyncmy(2006, "MySQL server has gone away"), Unavailable),
    # A Galera node cut off from its cluster's quorum (asyncmy raises it as operational)
    (_as_sqlalchemy_raises_asyncmy(1047, "WSREP has not yet prepared node"), Unavailable),
    (_as_sqlalchemy_raises_asyncmy(2013, "Lost connection during query"), Unavailable),
    (_as_sqlalchemy_raises_asyncmy(1927, "Connection was killed"), Unavailable),
    (_as_sqlalchemy_raises_asyncmy(1053, "Server shutdown in progress"), Unavailable),
    (_as_sqlalchemy_raises_asyncmy(1040, "Too many connections"), Unavailable),
    (_as_sqlalchemy_raises_asyncmy(1969, "max_statement_time exceeded"), TimedOut),
    (_as_sqlalchemy_raises_asyncmy(1205, "Lock wait timeout exceeded"), TimedOut),
    # no answer in time: a driver's client-side timeout, the operation's deadline, the pool
    (TimeoutError(), Unavailable),  # asyncio.TimeoutError is this class since Python 3.11
    (sa_exc.TimeoutError("QueuePool limit reached, timed out"), Unavailable),
    (OSError("Network is unreachable"), Unavailable),
]


@pytest.mark.parametrize(
    ("driver_error", "neutral"),
    SQL_CASES,
    ids=lambda case: (
        getattr(getattr(case, "orig", None), "args", [case])[0]
        if isinstance(case, BaseException)
        else case.__name__
    ),
)
def test_sql_outage_errors_are_translated(
    driver_error: BaseException, neutral: type[StorageError]
) -> None:
    with pytest.raises(StorageError) as raised, translate_sql():
        raise driver_error
    assert type(raised.value) is neutral
    assert raised.value.__cause__ is driver_error


def test_a_sql_bug_is_not_mistaken_for_an_outage() -> None:
    bad_sql = _as_sqlalchemy_raises_asyncpg(pg.UndefinedTableError("no such table"))
    with pytest.raises(sa_exc.DBAPIError), translate_sql():
        raise bad_sql


MONGO_CASES = [
    (AutoReconnect("connection closed"), Unavailable),
    (NotPrimaryError("node is recovering"), Unavailable),
    (NetworkTimeout("timed out"), Unavailable),
    (ServerSelectionTimeoutError("no servers"), Unavailable),
    (WaitQueueTimeoutError("pool full"), Unavailable),
    (OperationFailure("shutting down", 91), Unavailable),
    (OperationFailure("interrupted at shutdown", 11600), Unavailable),
    # the server stopped the operation at maxTimeMS (its reply names the code) ...
    (
        ExecutionTimeout("time limit", 50, {"ok": 0, "code": 50, "codeName": "MaxTimeMSExpired"}),
        TimedOut,
    ),
    # ... or PyMongo found no time left for a round trip: the server never answered
    (ExecutionTimeout("would exceed time limit", 50, {"ok": 0, "code": 50}), Unavailable),
]


@pytest.mark.parametrize(
    ("driver_error", "neutral"), MONGO_CASES, ids=[type(e).__name__ for e, _ in MONGO_CASES]
)
def test_mongo_outage_errors_are_translated(
    driver_error: Exception, neutral: type[StorageError]
) -> None:
    with pytest.raises(StorageError) as raised, translate_mongo():
        raise driver_error
    assert type(raised.value) is neutral
    assert raised.value.__cause__ is driver_error
