"""``SqlStorage``: the SQL implementation of ``storage.protocol.Storage``."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.instrumentation import PoolUsage
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
    ) -> None:
        self.engine = engine
        self.read_engine = read_engine
        self.database = engine.dialect.name
        # Every statement either engine sends is counted and timed (storage.instrumentation).
        instrument(engine)
        instrument(read_engine)
        self.db = Database(engine, read_engine, timeouts, reads)
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
        with translate_errors():
            async with self.db.deadline(), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

    def pool_usage(self) -> list[PoolUsage]:
        """The pools: ``write`` (transactions) and ``read`` (the reads' driver pool)."""
        pools = (pool_usage(self.engine, "write"), self.db.reads.usage())
        return [usage for usage in pools if usage is not None]

    async def close(self) -> None:
        await self.db.reads.close()
        await self.engine.dispose()
        await self.read_engine.dispose()
