"""SQL backend on SQLAlchemy 2 async: SQLite (default), PostgreSQL, MariaDB/MySQL."""

from __future__ import annotations

from storage.errors import StorageError
from storage.sql.engine import POOL_SIZE, create_engine, create_read_pool
from storage.sql.migrate import check_at_head, migration_engine, upgrade_to_head
from storage.sql.replication import open_replication
from storage.sql.storage import SqlStorage, ping
from storage.timeouts import Timeouts

__all__ = ["SqlStorage", "migrate_sql", "open_sql_storage"]

READ_MAX_LAG = 5.0
"""Seconds a replica may be behind the primary and still be read, by default."""


async def open_sql_storage(
    url: str,
    pool_size: int = POOL_SIZE,
    timeouts: Timeouts | None = None,
    read_urls: list[str] | None = None,
    read_max_lag: float = READ_MAX_LAG,
) -> SqlStorage:
    """Connect, check the schema is at head, and return the storage.

    ``timeouts`` bound every wait on the database (``storage.timeouts``; its
    defaults if None). ``read_urls`` are read replicas of ``url``, read while
    they are less than ``read_max_lag`` seconds behind (``storage.sql.replication``;
    a Galera cluster is found by itself). Raises ``Unavailable``,
    ``NotMigrated`` or ``ReplicaConfigError``; everything is closed on failure.
    """
    timeouts = timeouts or Timeouts()
    engine = create_engine(url, pool_size=pool_size, timeouts=timeouts)
    read_engine = create_engine(url, autocommit=True, pool_size=pool_size, timeouts=timeouts)
    reads = create_read_pool(read_engine, pool_size, timeouts)
    try:
        await ping(engine, timeouts)
        await check_at_head(engine)
        replication = await open_replication(
            url,
            read_engine,
            reads,
            read_urls or [],
            pool_size=pool_size,
            timeouts=timeouts,
            max_lag=read_max_lag,
        )
    except StorageError:
        await reads.close()
        await engine.dispose()
        await read_engine.dispose()
        raise
    if replication is not None:
        await replication.start()
    return SqlStorage(engine, read_engine, timeouts, reads, replication)


async def migrate_sql(url: str) -> str:
    """Upgrade the database at ``url`` to the newest schema; returns what was done."""
    engine = migration_engine(url)
    try:
        revision = await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    return f"{engine.dialect.name} schema at revision {revision}"
