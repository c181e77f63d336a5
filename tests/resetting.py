"""Empty a storage between tests, ids included, so every backend starts from 1."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

TABLES = [
    "order_lines",
    "orders",
    "post_tags",
    "posts",
    "tags",
    "products",
    "categories",
    "users",
    "pictures",
]


async def reset_storage(storage: Any) -> None:
    """Delete every row/document and restart the id sequences."""
    if storage.backend == "sql":
        await _reset_sql(storage.engine)
    else:
        await _reset_mongo(storage.db)


async def _reset_sql(engine: Any) -> None:
    dialect = engine.dialect.name
    async with engine.begin() as conn:
        if dialect == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        elif dialect == "mysql":
            await conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            for table in TABLES:
                await conn.execute(text(f"TRUNCATE TABLE {table}"))
            await conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
        else:
            for table in TABLES:
                await conn.execute(text(f"DELETE FROM {table}"))
            await conn.execute(text("DELETE FROM sqlite_sequence"))


async def _reset_mongo(db: Any) -> None:
    for name in ("users", "posts", "categories", "products", "orders", "pictures"):
        await db[name].delete_many({})
    await db["counters"].update_many({}, {"$set": {"seq": 0}})
