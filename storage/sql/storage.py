"""``SqlStorage``: the SQL implementation of ``storage.protocol.Storage``."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.instrumentation import PoolUsage, ReplicaStatus
from storage.sql.categories import SqlCategoryStore
from storage.sql.credentials import SqlCredentialStore
from storage.sql.database import Database
from storage.sql.errors import translate_errors
from storage.sql.instrumentation import instrument, pool_usage
from storage.sql.orders import SqlOrderStore
from storage.sql.pictures import SqlPictureStore
from storage.sql.posts import SqlPostStore
from storage.sql.products import SqlProductStore
from storage.sql.read_pools import ReadPool
from storage.sql.replication import Replication
from storage.sql.tags import SqlTagStore
from storage.sql.transfer import SqlTransferStore
from storage.sql.users import SqlUserStore
from storage.timeouts import Timeouts


class SqlStorage:
    """All resource stores over one SQLAlchemy async engine."""

    backend = "sql"

    def __init__(
        self,
        engine: AsyncEngine,
        read_engine: AsyncEngine,
        timeouts: Timeouts | None = None,
        reads: ReadPool | None = None,
        replication: Replication | None = None,
    ) -> None:
        self.engine = engine
        self.read_engine = read_engine
        self.database = engine.dialect.name
        self.replication = replication
        self.read_lag_bound = replication.lag_bound if replication is not None else None
        # Every statement either engine sends is counted and timed (storage.instrumentation).
        instrument(engine)
        instrument(read_engine)
        self.db = Database(engine, read_engine, timeouts, reads, replication)
        """The engines' sessions and deadlines, for tests and tooling; the API never touches it."""
        db = self.db
        self.users = SqlUserStore(db)
        self.posts = SqlPostStore(db)
        self.tags = SqlTagStore(db)
        self.categories = SqlCategoryStore(db)
        self.products = SqlProductStore(db)
        self.orders = SqlOrderStore(db)
        self.credentials = SqlCredentialStore(db)
        self.pictures = SqlPictureStore(db)
        self.transfer = SqlTransferStore(db)

    async def ping(self) -> None:
        """One round trip on the write engine (pre-pinged, so a dead connection is replaced)."""
        await ping(self.engine, self.db.timeouts)

    def pool_usage(self) -> list[PoolUsage]:
        """The pools: ``write`` (transactions), ``read`` (the reads' driver pool), replicas'."""
        pools = (pool_usage(self.engine, "write"), self.db.reads.usage())
        usages = [usage for usage in pools if usage is not None]
        return usages + (self.replication.pools() if self.replication is not None else [])

    def replicas(self) -> list[ReplicaStatus]:
        """Each read replica's state and lag, as the monitor last saw them (no I/O)."""
        return self.replication.statuses() if self.replication is not None else []

    async def close(self) -> None:
        if self.replication is not None:
            await self.replication.close()  # every read pool, the primary's included
        else:
            await self.db.reads.close()
        await self.engine.dispose()
        await self.read_engine.dispose()


async def ping(engine: AsyncEngine, timeouts: Timeouts) -> None:
    """One round trip on ``engine`` within ``timeouts.operation``; ``Unavailable`` if none."""
    with translate_errors():
        async with asyncio.timeout(timeouts.operation), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
