"""Tags on SQL: the tags posts carry, with their post counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import FromClause, Select, distinct, func, select

from storage.sql.database import Database
from storage.sql.post_reads import drafts_shape, drafts_values, visible
from storage.sql.prepared import Query, Read
from storage.sql.queries import after, limited, order_by, parameters, shape
from storage.sql.tables import post_tags, posts_table, tags_table
from storage.types import DraftScope, Page, TagCount, TagQuery

POST_COUNT = func.count(post_tags.c.post_id).label("post_count")
COLUMNS = {"name": tags_table.c.name, "post_count": POST_COUNT}
# A tag's name is unique: it breaks ties, and it is what a cursor remembers.
TIEBREAKER = tags_table.c.name


class SqlTagStore:
    """``storage.protocol.TagStore`` on SQLAlchemy: tags with at least one post."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list(self, query: TagQuery, drafts: DraftScope) -> Page[TagCount]:
        return await self._db.reads.run(_tags(query, drafts))


def _tags(query: TagQuery, drafts: DraftScope) -> Read[Page[TagCount]]:
    # Only the posts the reader may see count; a tag none of them carries is not listed.
    shown = visible(drafts)

    def links() -> FromClause:
        if not shown:
            return post_tags
        return post_tags.join(posts_table, posts_table.c.id == post_tags.c.post_id)

    def distinct_tags(_dialect: str) -> Select[Any]:
        return (
            select(func.count(distinct(post_tags.c.tag_id)).label("n"))
            .select_from(links())
            .where(*shown)
        )

    def page(dialect: str) -> Select[Any]:
        statement = (
            select(tags_table.c.name, POST_COUNT)
            .join(post_tags, post_tags.c.tag_id == tags_table.c.id)
            .group_by(tags_table.c.id, tags_table.c.name)
        )
        if shown:
            statement = statement.join(posts_table, posts_table.c.id == post_tags.c.post_id)
            statement = statement.where(*shown)
        position = after(query, COLUMNS, TIEBREAKER, dialect)
        if position is not None:
            # The count is an aggregate, so the keyset condition filters groups.
            statement = statement.having(position)
        return limited(order_by(statement, query, COLUMNS, TIEBREAKER, dialect), query)

    values = {**parameters(query), **drafts_values(drafts)}
    key = (shape(query), drafts_shape(drafts))
    total = None
    if query.count:
        rows = yield Query(("tag count", key), distinct_tags, values)
        total = rows[0]["n"]
    rows = yield Query(("tags", key), page, values)
    items = [TagCount(name=row["name"], post_count=row["post_count"]) for row in rows]
    return Page.of(items, query, total)
