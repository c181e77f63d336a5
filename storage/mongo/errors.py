"""The one place where PyMongo's exceptions become neutral storage errors.

::

    pymongo.errors.PyMongoError
     ├── DuplicateKeyError                    -> Conflict (message chosen by the operation)
     ├── transient (``is_transient``)          -> Unavailable, retried by ``storage.mongo.runner``
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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

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


Duplicate = str | Mapping[str, str] | None
"""A unique-index violation's message, or one per indexed field (``{"email_key": ...}``)."""


def _duplicate_message(exc: PyMongoError, duplicate: Duplicate) -> str:
    if isinstance(duplicate, Mapping):
        details = getattr(exc, "details", None) or {}
        errors = details.get("writeErrors") or [details]
        for error in errors:
            for field in error.get("keyPattern", {}):
                if field in duplicate:
                    return duplicate[field]
        return next(iter(duplicate.values()))
    return duplicate or "A conflicting record already exists"


@contextmanager
def translate_errors(*, duplicate: Duplicate = None) -> Iterator[None]:
    """Run driver calls, turning PyMongo exceptions into neutral ``storage.errors``.

    ``duplicate`` is the message of the ``Conflict`` raised for a unique-index
    violation; each operation knows which rule (email, category name) it can break.
    """
    try:
        yield
    except DuplicateKeyError as exc:
        raise Conflict(_duplicate_message(exc, duplicate)) from exc
    except BulkWriteError as exc:
        # insert_many reports a unique-index violation among its write errors.
        codes = {error.get("code") for error in exc.details.get("writeErrors", [])}
        if codes == {_DUPLICATE_KEY}:
            raise Conflict(_duplicate_message(exc, duplicate)) from exc
        raise _translated(exc) from exc
    except PyMongoError as exc:
        if is_transient(exc):
            raise Unavailable(f"Database busy: {describe(exc)}") from exc
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
