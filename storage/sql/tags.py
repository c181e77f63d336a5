"""Tags on SQL: the tags posts carry, with their post counts."""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from storage.sql.database import Database
from storage.sql.queries import after, order_by
from storage.sql.tables import post_tags, tags_table
from storage.types import Page, TagCount, TagQuery

POST_COUNT = func.count(post_tags.c.post_id).label("post_count")
COLUMNS = {"name": tags_table.c.name, "post_count": POST_COUNT}
# A tag's name is unique: it breaks ties, and it is what a cursor remembers.
TIEBREAKER = tags_table.c.name


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
        position = after(query, COLUMNS, TIEBREAKER, self._db.dialect)
        if position is not None:
            # The count is an aggregate, so the keyset condition filters groups.
            statement = statement.having(position)
        statement = order_by(statement, query, COLUMNS, TIEBREAKER, self._db.dialect)
        if query.position is None:
            statement = statement.offset(query.skip)
        async with self._db.read() as conn:
            counted = None
            if query.count:
                distinct_tags = select(func.count(distinct(post_tags.c.tag_id)))
                counted = (await conn.execute(distinct_tags)).scalar_one()
            rows = await conn.execute(statement.limit(query.limit + 1))
            items = [TagCount(name=name, post_count=n) for name, n in rows]
        return Page.of(items, query, counted)
