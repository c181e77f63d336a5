"""Tags on SQL: the tags posts carry, with their post counts."""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from storage.sql.database import Database
from storage.sql.queries import order_by
from storage.sql.tables import post_tags, tags_table
from storage.types import Page, TagCount, TagQuery

POST_COUNT = func.count(post_tags.c.post_id).label("post_count")
COLUMNS = {"name": tags_table.c.name, "post_count": POST_COUNT}


class SqlTagStore:
    """``storage.protocol.TagStore`` on SQLAlchemy: tags with at least one post."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(self, query: TagQuery) -> Page[TagCount]:
        statement = (
            select(tags_table.c.name, POST_COUNT)
            .join(post_tags, post_tags.c.tag_id == tags_table.c.id)
            .group_by(tags_table.c.id, tags_table.c.name)
        )
        statement = order_by(statement, query, COLUMNS, tags_table.c.name, self._db.dialect)
        async with self._db.read() as conn:
            total = (
                await conn.execute(select(func.count(distinct(post_tags.c.tag_id))))
            ).scalar_one()
            rows = await conn.execute(statement.offset(query.skip).limit(query.limit))
            items = [TagCount(name=name, post_count=n) for name, n in rows]
        return Page(items=items, total=total, skip=query.skip, limit=query.limit)
