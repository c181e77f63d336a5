"""The one place where SQLAlchemy and driver exceptions become neutral storage errors.

Constraint violations are recognised by the constraint's name (the naming
convention of ``storage.sql.tables`` makes them predictable on every dialect),
so one statement that can break two rules gets the right message for each.
A unique key's message comes from the one map every store uses
(``storage.types.unique_conflict``, from the declarations); SQLite names a
unique violation by its column (``users.email_key``) and a foreign key
violation not at all; for the latter the operation says which rule it can
break (``on_foreign_key``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from storage.errors import Conflict, NotFound, StorageError, TimedOut, Unavailable
from storage.messages import (
    AUTHOR_NOT_FOUND,
    CATEGORY_HAS_PRODUCTS,
    CATEGORY_NOT_FOUND,
    CONFLICT,
)
from storage.types import UNIQUE_KEYS, unique_conflict

logger = logging.getLogger(__name__)

Rule = Callable[[], StorageError]

UNIQUE_CONSTRAINTS = {f"uq_{table}_{column}": (table, column) for table, column in UNIQUE_KEYS}
"""Constraint name (as ``storage.sql.indexes`` names them) -> the (table, column) it guards."""
# How each dialect names the unique constraint a write broke.
_VIOLATED = (
    re.compile(r'unique constraint "(?P<name>[^"]+)"'),  # PostgreSQL
    re.compile(r"Duplicate entry .* for key '(?:[^.']+\.)?(?P<name>[^']+)'"),  # MariaDB/MySQL
    re.compile(r"UNIQUE constraint failed: (?P<table>\w+)\.(?P<column>\w+)$"),  # SQLite
)
FOREIGN_KEYS: dict[str, tuple[Rule, Rule]] = {
    # constraint name: (writing a row that refers to a missing one, deleting one still referred to)
    "fk_posts_author_id_users": (
        lambda: NotFound(AUTHOR_NOT_FOUND),
        lambda: Conflict("User still has posts"),  # never: posts cascade with their author
    ),
    "fk_products_category_id_categories": (
        lambda: NotFound(CATEGORY_NOT_FOUND),
        lambda: Conflict(CATEGORY_HAS_PRODUCTS),
    ),
}
# How PostgreSQL and MariaDB say the referenced side is being deleted or changed.
_PARENT_SIDE = re.compile(r"update or delete on table|delete or update a parent row", re.I)


# Why a server refuses or drops a connection, by driver error code. Each means
# "not now": the request may succeed once the server is back (503).
_PG_UNAVAILABLE = frozenset(
    {
        "57P01",  # admin_shutdown: pg_ctl stop, pg_terminate_backend
        "57P02",  # crash_shutdown: another backend crashed, all are reset
        "57P03",  # cannot_connect_now: starting up, in recovery, shutting down
        "53300",  # too_many_connections
        "53000",  # insufficient_resources
        "53100",  # disk_full
        "53200",  # out_of_memory
        "58000",  # system_error (e.g. an I/O error while the disk is away)
    }
)
_PG_UNAVAILABLE_CLASS = "08"  # connection_exception and all of its subcodes
_MYSQL_UNAVAILABLE = frozenset(
    {
        1040,  # ER_CON_COUNT_ERROR: too many connections
        1053,  # ER_SERVER_SHUTDOWN: the server is shutting down
        1077,  # ER_NORMAL_SHUTDOWN
        1152,  # ER_ABORTING_CONNECTION
        1927,  # ER_CONNECTION_KILLED
        2002,  # CR_CONNECTION_ERROR: cannot connect (socket)
        2003,  # CR_CONN_HOST_ERROR: cannot connect (TCP)
        2006,  # CR_SERVER_GONE_ERROR: MySQL server has gone away
        2013,  # CR_SERVER_LOST: lost connection during query
        2014,  # CR_COMMANDS_OUT_OF_SYNC (a connection left mid-protocol)
        2055,  # CR_SERVER_LOST_EXTENDED
    }
)
# The server is up but cancelled the statement: it ran out of time (504).
_PG_TIMED_OUT = frozenset({"57014", "55P03"})  # query_canceled (statement_timeout), lock_timeout
_MYSQL_TIMED_OUT = frozenset(
    {
        1969,  # ER_STATEMENT_TIMEOUT: max_statement_time exceeded (MariaDB)
        3024,  # ER_QUERY_TIMEOUT: max_execution_time exceeded (MySQL)
        1205,  # ER_LOCK_WAIT_TIMEOUT
    }
)


@contextmanager
def translate_errors(on_foreign_key: Rule | None = None) -> Iterator[None]:
    """Run one storage operation, translating driver errors.

    ``on_foreign_key`` is the error a foreign key violation means for this
    operation on SQLite, which does not say which key failed. A fresh
    exception each time, so no traceback accumulates on a shared object.
    A server that is away, starting, stopping, full or too slow becomes
    ``Unavailable`` (``TimedOut`` when it cancelled a statement itself).
    Anything else is a bug and propagates unchanged.
    """
    try:
        yield
    except sa_exc.IntegrityError as exc:
        raise integrity_error(exc, on_foreign_key) from exc
    except sa_exc.DBAPIError as exc:
        if is_transient(exc):  # a deadlock: retried by Database.transaction
            raise Unavailable(f"Database busy: {_first_line(exc)}", transient=True) from exc
        neutral = _dbapi_error(exc)
        if neutral is None:
            raise  # a bug (bad SQL, a value the driver refuses): keep it whole
        raise neutral from exc
    except sa_exc.TimeoutError as exc:  # no pooled connection freed up in time
        raise Unavailable(f"Database unavailable: {exc}") from exc
    except TimeoutError as exc:
        # asyncio's deadline on the operation, or a driver's own client-side
        # timeout (SQLAlchemy lets both through unwrapped). The server did not
        # answer: the connection was invalidated and will not be reused.
        raise Unavailable("Database unavailable: no answer in time") from exc
    except (OSError, ConnectionError) as exc:
        raise Unavailable(f"Database unavailable: {exc}") from exc


# Errors after which running the transaction again can succeed (``storage.retry``
# runs it again within the operation's deadline):
# - PostgreSQL: 40P01 deadlock_detected, 40001 serialization_failure;
# - MariaDB/MySQL: 1213 ER_LOCK_DEADLOCK (SQLSTATE 40001), which is also how a
#   Galera cluster reports a certification conflict, at COMMIT or at the next
#   statement of a transaction another node's commit aborted; and 1305
#   "SAVEPOINT does not exist", a deadlock in disguise: the deadlock inside a
#   savepoint rolled back the whole transaction, savepoints included, and the
#   rollback to the savepoint is what reports.
# - SQLite: "database is locked", another process's writer held the lock for
#   the whole busy timeout (this process's writers queue first, see
#   ``storage.sql.database``); it may have let go by the next attempt.
# Not transient: a lock wait on PostgreSQL or MariaDB that outlasted the statement
# timeout (55P03, 1205): the server cancelled it, a 504.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
_TRANSIENT_MYSQL_CODES = frozenset({1213, 1305})


def is_transient(exc: BaseException | None) -> bool:
    """Whether the driver error behind ``exc`` means "run the transaction again"."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    original = exc.orig
    if getattr(original, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return _error_code(exc) in _TRANSIENT_MYSQL_CODES or "database is locked" in str(original)


def _dbapi_error(exc: sa_exc.DBAPIError) -> Unavailable | None:
    code = _error_code(exc)
    if code in _PG_TIMED_OUT or code in _MYSQL_TIMED_OUT:
        return TimedOut(f"Statement cancelled by the database: {_first_line(exc)}")
    if (
        isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError))
        or exc.connection_invalidated
        # a socket error while connecting, which SQLAlchemy wraps as a plain DBAPIError
        or isinstance(exc.orig, OSError)
        or code in _PG_UNAVAILABLE
        or code in _MYSQL_UNAVAILABLE
        or (isinstance(code, str) and code.startswith(_PG_UNAVAILABLE_CLASS))
    ):
        return Unavailable(f"Database unavailable: {_first_line(exc)}")
    return None


def _error_code(exc: sa_exc.DBAPIError) -> str | int | None:
    """The driver's code: error number (asyncmy), SQLSTATE (asyncpg), None (SQLite)."""
    original = exc.orig
    args = getattr(original, "args", ())
    if args and isinstance(args[0], int):
        return args[0]  # asyncmy also has a ``sqlstate``, but the number is more precise
    sqlstate = getattr(original, "sqlstate", None)
    return sqlstate if isinstance(sqlstate, str) else None


def integrity_error(exc: sa_exc.IntegrityError, on_foreign_key: Rule | None) -> StorageError:
    """The neutral error for a constraint violation, chosen by the constraint's name."""
    text = str(exc.orig)
    for pattern in _VIOLATED:
        violated = pattern.search(text)
        if violated is not None:
            found = violated.groupdict()
            table, column = UNIQUE_CONSTRAINTS.get(
                found.get("name") or "", (found.get("table"), found.get("column"))
            )
            conflict = unique_conflict(table, column)
            if conflict.key is None:
                logger.warning("unique key no declaration names: %s", _first_line(exc))
            return conflict
    for name, (referring, referred) in FOREIGN_KEYS.items():
        if name in text:
            return referred() if _PARENT_SIDE.search(text) else referring()
    if "FOREIGN KEY constraint failed" in text and on_foreign_key is not None:
        return on_foreign_key()
    # A constraint this map does not know is a bug: keep the words for the operator.
    logger.error("unrecognised constraint violation: %s", _first_line(exc), exc_info=exc)
    return Conflict(CONFLICT)


def _first_line(exc: sa_exc.DBAPIError | sa_exc.SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0] if str(original) else type(original).__name__
