"""The one place where PyMongo's exceptions become neutral storage errors.

::

    pymongo.errors.PyMongoError
     ├── DuplicateKeyError (and a bulk write's) -> Conflict, by the one map of unique keys
     │                                          (``storage.types.unique_conflict``)
     ├── transient (``is_transient``)          -> Unavailable(transient=True), retried
     │                                          by ``storage.retry`` (via the runner)
     ├── ExecutionTimeout from the server      -> TimedOut: it stopped the operation at maxTimeMS
     ├── ExecutionTimeout from PyMongo         -> Unavailable: the deadline ran out client-side
     ├── ConnectionFailure                    -> Unavailable
     │    (AutoReconnect, NotPrimaryError, NetworkTimeout, ServerSelectionTimeoutError,
     │     WaitQueueTimeoutError: a server gone, frozen, restarting or stepping down)
     ├── ConfigurationError (SRV/DNS lookup)  -> Unavailable
     ├── WTimeoutError, OperationFailure with a shutdown, network or
     │    access-denied code                  -> Unavailable
     ├── any other error PyMongo marks as a timeout (CSOT) -> Unavailable
     └── anything else                        -> StorageError, logged (a bug or a broken database)

Every store method runs its driver calls through ``storage.mongo.runner``,
which uses ``translate_errors()``, so no PyMongo exception ever leaves ``storage.mongo``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymongo.errors import (
    BulkWriteError,
    ConfigurationError,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    WTimeoutError,
)

from storage.errors import Conflict, StorageError, TimedOut, Unavailable
from storage.mongo import standin
from storage.types import unique_conflict

logger = logging.getLogger(__name__)

# Server error codes that mean "you may not talk to this database" (AuthenticationFailed,
# Unauthorized): an operator problem, reported like an unreachable server rather than a bug.
_ACCESS_DENIED = frozenset({13, 18})
# Server error codes that mean "this server cannot serve now": shutting down, stepping
# down, a network error between servers, a time limit. PyMongo turns most of them into
# NotPrimaryError itself; the rest can still arrive as an OperationFailure.
_NOT_NOW = frozenset(
    {
        6,  # HostUnreachable
        7,  # HostNotFound
        89,  # NetworkTimeout
        91,  # ShutdownInProgress
        189,  # PrimarySteppedDown
        262,  # ExceededTimeLimit
        9001,  # SocketException
        10107,  # NotWritablePrimary
        11600,  # InterruptedAtShutdown
        11602,  # InterruptedDueToReplStateChange
        13435,  # NotPrimaryNoSecondaryOk
        13436,  # NotPrimaryOrSecondary
    }
)


class MongoConfigError(StorageError):
    """``MONGO_URL`` or the installed extras cannot work; raised when opening, never per request."""


def describe(exc: BaseException) -> str:
    """A one-line reason for an operator, without PyMongo's topology dump."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    # ServerSelectionTimeoutError appends ", Timeout: 5.0s, Topology Description: <...>",
    # which repeats the reason at length.
    return text.split(", Timeout: ")[0]


_DUPLICATE_KEY = 11000


def is_transient(exc: PyMongoError) -> bool:
    """Whether running the operation again may succeed.

    MongoDB labels such errors ``TransientTransactionError`` (a write conflict
    between transactions, a lost connection mid-transaction); the stand-in's
    unlabelled equivalents are recognised by ``storage.mongo.standin``.
    """
    if exc.has_error_label("TransientTransactionError"):
        return True
    return isinstance(exc, OperationFailure) and standin.is_transient(str(exc))


# "E11000 duplicate key error collection: app.users index: email_key_unique dup key: ..."
# (MongoDB and the stand-in alike; a database name has no dot in it).
_DUPLICATE_IN = re.compile(r"collection: [^.\s]+\.(\S+) index:")


def duplicate_conflict(error: Any) -> Conflict:
    """The ``Conflict`` for one duplicate-key error (a reply or a bulk write's item).

    The collection comes from the server's message and the field from its
    ``keyPattern``; together they name the unique key, whose message comes
    from the declarations. A key they do not name (an index an operator added)
    gets the generic message, as on every store.
    """
    found = _DUPLICATE_IN.search(str(error.get("errmsg", "")))
    fields = list(error.get("keyPattern") or {})
    field = fields[0] if len(fields) == 1 else None
    return unique_conflict(found.group(1) if found else None, field)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Run driver calls, turning PyMongo exceptions into neutral ``storage.errors``."""
    try:
        yield
    except DuplicateKeyError as exc:
        raise duplicate_conflict(exc.details or {}) from exc
    except BulkWriteError as exc:
        # insert_many reports a unique-index violation among its write errors.
        errors = exc.details.get("writeErrors", [])
        if errors and all(error.get("code") == _DUPLICATE_KEY for error in errors):
            raise duplicate_conflict(errors[0]) from exc
        raise _translated(exc) from exc
    except PyMongoError as exc:
        if is_transient(exc):
            raise Unavailable(f"Database busy: {describe(exc)}", transient=True) from exc
        raise _translated(exc) from exc


def _translated(exc: PyMongoError) -> StorageError:
    if isinstance(exc, ExecutionTimeout) and _from_server(exc):
        return TimedOut(f"Operation stopped by the database at its time limit: {describe(exc)}")
    if isinstance(exc, (ConnectionFailure, ConfigurationError, WTimeoutError)):
        return Unavailable(f"Database unavailable: {describe(exc)}")
    if isinstance(exc, OperationFailure) and exc.code in _ACCESS_DENIED | _NOT_NOW:
        return Unavailable(f"Database unavailable: {describe(exc)}")
    if exc.timeout:
        # CSOT ran out in a step that has no error class of its own.
        return Unavailable(f"Database unavailable: no answer in time ({describe(exc)})")
    return _unexpected(exc)


def _from_server(exc: OperationFailure) -> bool:
    # A server's error reply names its code; the ExecutionTimeout PyMongo raises
    # itself when the deadline has no room left for a round trip does not.
    details = exc.details or {}
    return "codeName" in details


def _unexpected(exc: PyMongoError) -> StorageError:
    # Not something a client can fix (e.g. a document the validator refuses): log the
    # server's words for the operator, keep them out of the response.
    logger.error("unexpected MongoDB error: %s", describe(exc), exc_info=exc)
    return StorageError("Unexpected database error")
