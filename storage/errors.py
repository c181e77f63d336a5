"""Neutral storage errors: the only exceptions that leave a backend.

::

    StorageError
     ├── NotFound       a resource (or one it refers to) does not exist   -> 404
     ├── Conflict       a uniqueness or reference rule forbids the change -> 409
     └── Unavailable    the database cannot be reached right now          -> 503

Each backend translates its driver's exceptions into these in one place
(``storage/sql/errors.py``, ``storage/mongo/errors.py``); ``api/errors.py`` maps
them to HTTP in one exception handler. The message is written for a person and
is sent to the client as ``{"detail": message}``.
"""


class StorageError(Exception):
    """Base class of every neutral storage error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(StorageError):
    """The resource, or a resource it refers to, does not exist."""


class Conflict(StorageError):
    """The change would break a uniqueness or reference rule."""


class Unavailable(StorageError):
    """The database did not answer; the request may succeed if retried."""


class NotMigrated(StorageError):
    """The database schema is missing or older than this code; run the ``migrate`` command."""
