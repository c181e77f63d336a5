"""Neutral storage errors: the only exceptions that leave a backend.

::

    StorageError
     ├── NotFound            a resource (or one it refers to) does not exist       -> 404
     ├── Conflict            a uniqueness, stock or state rule forbids the change  -> 409
     ├── PreconditionFailed  the client's If-Match names an older version          -> 412
     ├── Unavailable         the database cannot be reached right now              -> 503
     │                       (``transient``: a deadlock or write conflict, retried first)
     │    └── TimedOut       the database cancelled a statement that ran too long  -> 504
     └── NotMigrated         the schema is missing or older than the code          -> 503

Each backend translates its driver's exceptions into these in one place
(``storage/sql/errors.py``, ``storage/mongo/errors.py``); ``api/errors.py`` maps
them to HTTP in one exception handler. The message of a 404 or 409 is written
for a person and sent to the client as ``{"detail": message}``; the message of
a 503 or 504 may carry the driver's words (hosts, SQL), so it goes to the
operator's log and the client gets a fixed sentence instead.
"""

from __future__ import annotations

from typing import Any


class StorageError(Exception):
    """Base class of every neutral storage error.

    ``details`` are sent beside the message when there are several things to
    name (each conflicting email of a bulk insert, say).
    """

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(StorageError):
    """The resource, or a resource it refers to, does not exist."""


class Conflict(StorageError):
    """The change would break a uniqueness or reference rule.

    ``key`` names the unique key a write collided with (``users.email_key``),
    when it was one: the stores translate every unique violation through one
    map (``storage.types.unique_message``), and a store that words its own
    message for some keys (the users' "email first" rule) tells them apart by it.
    """

    def __init__(
        self, message: str, details: list[dict[str, Any]] | None = None, *, key: str | None = None
    ) -> None:
        super().__init__(message, details)
        self.key = key


class PreconditionFailed(StorageError):
    """The resource changed since the version the client based its request on."""


class Unavailable(StorageError):
    """The database did not answer; the request may succeed if retried.

    ``transient``: the database refused this attempt for a reason that running
    it again can clear (a deadlock, a write conflict). Stores retry those
    themselves within the operation's deadline (``storage.retry``); a client
    sees one only when that deadline ran out.
    """

    def __init__(
        self, message: str, details: list[dict[str, Any]] | None = None, *, transient: bool = False
    ) -> None:
        super().__init__(message, details)
        self.transient = transient


class TimedOut(Unavailable):
    """The database is up but cancelled the operation: it ran past the statement timeout.

    A lock held elsewhere or an expensive query; retrying may or may not help,
    unlike a plain ``Unavailable``. A database that does not answer at all is
    ``Unavailable``, even when it took a timeout to find that out.
    """


class NotMigrated(StorageError):
    """The database schema is missing or older than this code; run the ``migrate`` command."""
