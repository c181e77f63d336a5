"""The one place where SQLAlchemy and driver exceptions become neutral storage errors.

Constraint violations are recognised by the constraint's name (the naming
convention of ``storage.sql.tables`` makes them predictable on every dialect),
so one statement that can break two rules gets the right message for each.
SQLite names a unique violation by its columns (``users.email_key``) and a
foreign key violation not at all; for the latter the operation says which
rule it can break (``on_foreign_key``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from storage.errors import Conflict, NotFound, StorageError, Unavailable
from storage.messages import (
    AUTHOR_NOT_FOUND,
    CATEGORY_HAS_PRODUCTS,
    CATEGORY_NAME_TAKEN,
    CATEGORY_NOT_FOUND,
    EMAIL_TAKEN,
)

logger = logging.getLogger(__name__)

Rule = Callable[[], StorageError]

UNIQUE: dict[str, tuple[str, Rule]] = {
    # constraint name: (SQLite's "table.column" for it, the rule it enforces)
    "uq_users_email_key": ("users.email_key", lambda: Conflict(EMAIL_TAKEN)),
    "uq_categories_name_key": ("categories.name_key", lambda: Conflict(CATEGORY_NAME_TAKEN)),
}
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


@contextmanager
def translate_errors(on_foreign_key: Rule | None = None) -> Iterator[None]:
    """Run one storage operation, translating driver errors.

    ``on_foreign_key`` is the error a foreign key violation means for this
    operation on SQLite, which does not say which key failed. A fresh
    exception each time, so no traceback accumulates on a shared object.
    Lost connections become ``Unavailable``. Anything else is a bug and
    propagates unchanged.
    """
    try:
        yield
    except sa_exc.IntegrityError as exc:
        raise integrity_error(exc, on_foreign_key) from exc
    except sa_exc.DBAPIError as exc:
        if is_transient(exc):  # a deadlock: retried by Database.transaction
            raise Unavailable(f"Database busy: {_first_line(exc)}") from exc
        translated = _translated(exc)
        if translated is exc:
            raise
        raise translated from exc
    except sa_exc.TimeoutError as exc:
        raise Unavailable(f"Database unavailable: {_first_line(exc)}") from exc
    except (OSError, ConnectionError) as exc:
        raise Unavailable(f"Database unavailable: {exc}") from exc


# Errors after which running the transaction again can succeed: PostgreSQL's
# deadlock and serialization failure, MariaDB's deadlock and lock wait timeout,
# SQLite's busy database.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
_TRANSIENT_MYSQL_CODES = frozenset({1213, 1205})


def is_transient(exc: BaseException | None) -> bool:
    """Whether the driver error behind ``exc`` means "run the transaction again"."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    original = exc.orig
    if getattr(original, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    args = getattr(original, "args", ())
    if args and args[0] in _TRANSIENT_MYSQL_CODES:
        return True
    return "database is locked" in str(original)


def integrity_error(exc: sa_exc.IntegrityError, on_foreign_key: Rule | None) -> StorageError:
    """The neutral error for a constraint violation, chosen by the constraint's name."""
    text = str(exc.orig)
    for name, (sqlite_columns, rule) in UNIQUE.items():
        if name in text or f"UNIQUE constraint failed: {sqlite_columns}" in text:
            return rule()
    for name, (referring, referred) in FOREIGN_KEYS.items():
        if name in text:
            return referred() if _PARENT_SIDE.search(text) else referring()
    if "FOREIGN KEY constraint failed" in text and on_foreign_key is not None:
        return on_foreign_key()
    # A constraint this map does not know is a bug: keep the words for the operator.
    logger.error("unrecognised constraint violation: %s", _first_line(exc), exc_info=exc)
    return Conflict("The change conflicts with data already stored")


def _translated(exc: sa_exc.DBAPIError) -> Exception:
    # Lost connections and servers that refuse work are "unavailable"; anything
    # else is a bug and propagates unchanged.
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return Unavailable(f"Database unavailable: {_first_line(exc)}")
    if exc.connection_invalidated:
        return Unavailable(f"Database unavailable (connection lost): {_first_line(exc)}")
    return exc


def _first_line(exc: sa_exc.DBAPIError | sa_exc.SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0] if str(original) else type(original).__name__
