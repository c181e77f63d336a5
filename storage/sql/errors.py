"""The one place where SQLAlchemy and driver exceptions become neutral storage errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from storage.errors import StorageError, Unavailable


@contextmanager
def translate_errors(on_integrity: Callable[[], StorageError] | None = None) -> Iterator[None]:
    """Run one storage operation, translating driver errors.

    ``on_integrity`` makes the error a constraint violation means for this
    operation (e.g. ``partial(Conflict, EMAIL_TAKEN)``): the database enforces
    the rule, the operation names it. A fresh exception each time, so no
    traceback accumulates on a shared object. Lost connections become
    ``Unavailable``. Anything else is a bug and propagates unchanged.
    """
    try:
        yield
    except sa_exc.IntegrityError as exc:
        if on_integrity is None:
            raise
        raise on_integrity() from exc
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
        raise Unavailable(f"Database unavailable: {_first_line(exc)}") from exc
    except sa_exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise Unavailable(
                f"Database unavailable (connection lost): {_first_line(exc)}"
            ) from exc
        raise
    except (OSError, ConnectionError) as exc:
        raise Unavailable(f"Database unavailable: {exc}") from exc


def _first_line(exc: sa_exc.DBAPIError | sa_exc.SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0] if str(original) else type(original).__name__
