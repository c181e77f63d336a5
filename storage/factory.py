"""Open or migrate the backend named by configuration.

Backends are imported lazily so that a SQL deployment never imports PyMongo
(and the reverse), and so that a missing optional extra gives a clear message.
"""

from __future__ import annotations

from typing import Literal

from storage.protocol import Storage
from storage.timeouts import Timeouts

Backend = Literal["sql", "mongo"]


async def open_storage(
    backend: Backend,
    *,
    database_url: str,
    mongo_url: str,
    sql_pool_size: int = 20,
    timeouts: Timeouts | None = None,
    read_urls: list[str] | None = None,
    read_max_lag: float = 5.0,
) -> Storage:
    """Connect to the configured backend and check that its schema is current.

    ``timeouts`` bound every wait on the database (``storage.timeouts``).
    ``read_urls`` are SQL read replicas, read while less than ``read_max_lag``
    seconds behind (``storage.sql.replication``).

    Raises ``Unavailable`` if the database does not answer and ``NotMigrated``
    if its schema is missing or out of date.
    """
    if backend == "sql":
        from storage.sql import open_sql_storage

        return await open_sql_storage(
            database_url,
            pool_size=sql_pool_size,
            timeouts=timeouts,
            read_urls=read_urls,
            read_max_lag=read_max_lag,
        )
    from storage.mongo import open_mongo_storage

    return await open_mongo_storage(mongo_url, timeouts=timeouts)


async def migrate_storage(backend: Backend, *, database_url: str, mongo_url: str) -> str:
    """Bring the configured database's schema up to date; idempotent.

    Returns a one-line description of what was done, for the operator.
    """
    if backend == "sql":
        from storage.sql import migrate_sql

        return await migrate_sql(database_url)
    from storage.mongo import migrate_mongo

    return await migrate_mongo(mongo_url)
