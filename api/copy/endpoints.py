"""The two ends of a copy: which backend a URL names, and opening each end.

The URL alone picks the backend (``sqlite:``, ``postgresql:``, ``mysql:`` or
``mariadb:`` the SQL one; ``mongodb:``, ``mongodb+srv:`` or ``mongoeco:`` the
Mongo one), so a copy needs no ``STORAGE_BACKEND`` and reads no settings.
Every refusal is a ``CopyError`` whose message is the one line the operator
reads; passwords never appear in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from storage.errors import NotMigrated, StorageError
from storage.factory import Backend, migrate_storage, open_storage
from storage.protocol import Storage
from storage.sql.urls import BadDatabaseUrl, to_async_url
from storage.timeouts import Timeouts

SQL_SCHEMES = frozenset({"sqlite", "postgresql", "postgres", "mysql", "mariadb"})
MONGO_SCHEMES = frozenset({"mongodb", "mongodb+srv", "mongoeco"})
ACCEPTED = (
    "sqlite:///file.db, postgresql://…, mysql://… (mariadb://…), mongodb://… or mongoeco:///file.db"
)

TIMEOUTS = Timeouts(operation=300, connect=10, pool=60, statement=300)
"""A copy moves batches, not requests: bounds far above the service's, still finite."""
POOL_SIZE = 2
"""A copy uses one connection per end at a time (a read ahead may use a second)."""


class CopyError(Exception):
    """The copy cannot start or go on; the message is one line for the operator."""


@dataclass(frozen=True)
class Endpoint:
    """One end of a copy: its URL, the backend that URL names, and its role."""

    url: str
    backend: Backend
    role: str
    """``source`` or ``target``, for messages."""

    @property
    def shown(self) -> str:
        """The URL with any password replaced by ``***``."""
        return redact(self.url)


def redact(url: str) -> str:
    """``url`` without the password of its ``user:password@`` part."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, hosts = rest.partition("@")
    if not at or "/" in userinfo or ":" not in userinfo:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{hosts}"


def endpoint(url: str, role: str, option: str) -> Endpoint:
    """The endpoint ``url`` names, or ``CopyError`` saying why it cannot be one."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme.split("+")[0] in SQL_SCHEMES:
        try:
            database = to_async_url(url).database
        except BadDatabaseUrl as exc:
            raise CopyError(f"{option} {redact(url)!r}: {exc}; use {ACCEPTED}") from exc
        sqlite = scheme.startswith("sqlite")
        if sqlite and database in (None, "", ":memory:"):
            raise CopyError(f"{option} {url!r}: an in-memory SQLite database; name a file")
        if sqlite:
            _checked_file(Path(database or ""), role, option)
        return Endpoint(url, "sql", role)
    if scheme in MONGO_SCHEMES:
        if scheme == "mongoeco":
            path = urlsplit(url).path
            if path in ("", "/"):
                raise CopyError(
                    f"{option} {url!r}: the stand-in's memory engine keeps nothing once the "
                    "command ends; name a file (mongoeco:///path/app-mongo.db)"
                )
            _checked_file(Path(path[1:]), role, option)
        return Endpoint(url, "mongo", role)
    raise CopyError(f"{option} {redact(url)!r} is not a database URL: use {ACCEPTED}")


def _checked_file(path: Path, role: str, option: str) -> None:
    # Opening a missing file would create an empty database: a typo would then
    # copy nothing and verify it.
    if role == "source" and not path.is_file():
        raise CopyError(f"{option}: no such database file {str(path)!r}")


def same_database(source: Endpoint, target: Endpoint) -> bool:
    """Whether both ends name one database (as far as their URLs tell)."""
    if source.backend != target.backend:
        return False
    if source.backend == "sql":
        return make_url(source.url) == make_url(target.url) or source.url == target.url
    return source.url.rstrip("/") == target.url.rstrip("/")


async def open_existing(end: Endpoint) -> Storage:
    """Open a store that must be at this code's schema already: it is not migrated.

    The source, always; the target too when only verifying.
    """
    try:
        return await _open(end)
    except NotMigrated as exc:
        raise CopyError(
            f"the {end.role} ({end.shown}) is not at this code's schema: {exc.message}; "
            "migrate it first"
        ) from exc
    except StorageError as exc:
        raise CopyError(f"cannot open the {end.role} ({end.shown}): {_first_line(exc)}") from exc


async def open_target(target: Endpoint) -> Storage:
    """Migrate the target (the idempotent ``migrate`` step), then open it."""
    try:
        await migrate_storage(target.backend, database_url=target.url, mongo_url=target.url)
        return await _open(target)
    except StorageError as exc:
        raise CopyError(f"cannot open the target ({target.shown}): {_first_line(exc)}") from exc


async def _open(end: Endpoint) -> Storage:
    return await open_storage(
        end.backend,
        database_url=end.url,
        mongo_url=end.url,
        sql_pool_size=POOL_SIZE,
        timeouts=TIMEOUTS,
    )


def _first_line(exc: StorageError) -> str:
    lines = exc.message.strip().splitlines()
    return lines[0] if lines else type(exc).__name__
