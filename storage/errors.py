"""Neutral storage errors: the only exceptions that leave a backend.

::

    StorageError
     ├── NotFound            a resource (or one it refers to) does not exist     -> 404
     ├── Conflict            a uniqueness, stock or state rule forbids the change -> 409
     ├── PreconditionFailed  the client's If-Match names an older version        -> 412
     └── Unavailable         the database cannot be reached right now            -> 503

Each backend translates its driver's exceptions into these in one place
(``storage/sql/errors.py``, ``storage/mongo/errors.py``); ``api/errors.py`` maps
them to HTTP in one exception handler. The message is written for a person and
is sent to the client as ``{"detail": message}``.
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
    """The change would break a uniqueness or reference rule."""


class PreconditionFailed(StorageError):
    """The resource changed since the version the client based its request on."""


class Unavailable(StorageError):
    """The database did not answer; the request may succeed if retried."""


class NotMigrated(StorageError):
    """The database schema is missing or older than this code; run the ``migrate`` command."""
