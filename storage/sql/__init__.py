"""SQL backend on SQLAlchemy 2 async: SQLite (default), PostgreSQL, MariaDB/MySQL."""

from __future__ import annotations

from storage.errors import StorageError
from storage.sql.engine import POOL_SIZE, create_engine
from storage.sql.migrate import check_at_head, migration_engine, upgrade_to_head
from storage.sql.storage import SqlStorage

__all__ = ["SqlStorage", "migrate_sql", "open_sql_storage"]


async def open_sql_storage(url: str, pool_size: int = POOL_SIZE) -> SqlStorage:
    """Connect, check the schema is at head, and return the storage.

    Raises ``Unavailable`` or ``NotMigrated``; the engine is disposed on failure.
    """
    storage = SqlStorage(
        create_engine(url, pool_size=pool_size),
        create_engine(url, autocommit=True, pool_size=pool_size),
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
