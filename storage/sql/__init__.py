"""SQL backend on SQLAlchemy 2 async: SQLite (default), PostgreSQL, MariaDB/MySQL."""

from __future__ import annotations

from storage.errors import StorageError
from storage.sql.engine import POOL_SIZE, create_engine, create_read_pool
from storage.sql.migrate import check_at_head, migration_engine, upgrade_to_head
from storage.sql.storage import SqlStorage
from storage.timeouts import Timeouts

__all__ = ["SqlStorage", "migrate_sql", "open_sql_storage"]


async def open_sql_storage(
    url: str, pool_size: int = POOL_SIZE, timeouts: Timeouts | None = None
) -> SqlStorage:
    """Connect, check the schema is at head, and return the storage.

    ``timeouts`` bound every wait on the database (``storage.timeouts``; its
    defaults if None). Raises ``Unavailable`` or ``NotMigrated``; the engine
    is disposed on failure.
    """
    timeouts = timeouts or Timeouts()
    read_engine = create_engine(url, autocommit=True, pool_size=pool_size, timeouts=timeouts)
    storage = SqlStorage(
        create_engine(url, pool_size=pool_size, timeouts=timeouts),
        read_engine,
        timeouts,
        create_read_pool(read_engine, pool_size, timeouts),
    )
    try:
        await storage.ping()
        await check_at_head(storage.engine)
    except StorageError:
        await storage.close()
        raise
    return storage


async def migrate_sql(url: str) -> str:
    """Upgrade the database at ``url`` to the newest schema; returns what was done."""
    engine = migration_engine(url)
    try:
        revision = await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    return f"{engine.dialect.name} schema at revision {revision}"
