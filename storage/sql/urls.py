"""Turn the URL an operator writes into the async SQLAlchemy URL the engine needs."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# What a person writes -> the async driver we install and support for it.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+asyncmy",
    "mariadb": "mysql+asyncmy",
}
_SUPPORTED = frozenset({*_ASYNC_DRIVERS.values(), "mysql+aiomysql", "mariadb+asyncmy"})


class BadDatabaseUrl(ValueError):
    """The URL names no database this service supports."""


def to_async_url(url: str) -> URL:
    """Return ``url`` with its async driver, e.g. ``postgresql://`` -> ``postgresql+asyncpg://``.

    A URL that already names a supported async driver is kept; anything else
    (an unknown scheme, a synchronous driver) raises ``BadDatabaseUrl``.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BadDatabaseUrl(f"DATABASE_URL {url!r} is not a database URL") from exc
    name = parsed.drivername
    if name in _SUPPORTED:
        return parsed
    if name in _ASYNC_DRIVERS:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[name])
        if parsed.get_backend_name() == "mysql" and "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        return parsed
    raise BadDatabaseUrl(
        f"DATABASE_URL scheme {name!r} is not supported: use sqlite://, postgresql:// "
        "or mysql:// (mariadb://); the async driver is chosen for you"
    )
