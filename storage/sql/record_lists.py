"""Record fields that SQL keeps in a table of their own: a post's tags, an order's lines.

Each is read for a whole batch of records in one statement and replaced for
a whole batch in a few, so a copy costs the same number of round trips per
batch whatever the batch holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.sql.post_reads import tags_of
from storage.sql.posts import insert_missing_tags
from storage.sql.tables import order_lines, post_tags, tags_table
from storage.types.records import OrderLineRecord


class RecordList(Protocol):
    """A list-valued record field stored in another table, keyed by the record's id."""

    async def load(self, conn: AsyncConnection, ids: Sequence[int]) -> dict[int, list[Any]]:
        """The field's value for each of ``ids`` that has any (others: an empty list)."""
        ...

    async def replace(
        self, session: AsyncSession, dialect: str, values: Sequence[tuple[int, list[Any]]]
    ) -> None:
        """Make each record's (id, value) pair the stored value, dropping what was there."""
        ...


class TagNames:
    """A post's tag names: rows of ``tags`` linked through ``post_tags``."""

    async def load(self, conn: AsyncConnection, ids: Sequence[int]) -> dict[int, list[Any]]:
        # The read a page of posts makes: names sorted by code point, as posts show them.
        return dict(await tags_of(conn, ids))

    async def replace(
        self, session: AsyncSession, dialect: str, values: Sequence[tuple[int, list[Any]]]
    ) -> None:
        ids = [post_id for post_id, _ in values]
        await session.execute(delete(post_tags).where(post_tags.c.post_id.in_(ids)))
        wanted = sorted({name for _, names in values for name in names})
        if not wanted:
            return
        # Tags are shared by posts: create the missing ones, reuse the others.
        await session.execute(insert_missing_tags(dialect, wanted))
        found = await session.execute(
            select(tags_table.c.name, tags_table.c.id).where(tags_table.c.name.in_(wanted))
        )
        tag_ids = dict(found.all())
        links = [
            {"post_id": post_id, "tag_id": tag_ids[name]}
            for post_id, names in values
            for name in names
        ]
        await session.execute(insert(post_tags), links)


class OrderLines:
    """An order's lines: rows of ``order_lines``, numbered in the order they were placed."""

    async def load(self, conn: AsyncConnection, ids: Sequence[int]) -> dict[int, list[Any]]:
        fields = [order_lines.c[name] for name in OrderLineRecord.model_fields]
        statement = (
            select(order_lines.c.order_id, *fields)
            .where(order_lines.c.order_id.in_(ids))
            .order_by(order_lines.c.order_id, order_lines.c.line_no)
        )
        lines: dict[int, list[Any]] = {}
        for row in (await conn.execute(statement)).mappings():
            line = OrderLineRecord.model_validate(
                {name: row[name] for name in OrderLineRecord.model_fields}
            )
            lines.setdefault(row["order_id"], []).append(line)
        return lines

    async def replace(
        self, session: AsyncSession, dialect: str, values: Sequence[tuple[int, list[Any]]]
    ) -> None:
        ids = [order_id for order_id, _ in values]
        await session.execute(delete(order_lines).where(order_lines.c.order_id.in_(ids)))
        rows = [
            {"order_id": order_id, "line_no": number, **line.model_dump()}
            for order_id, lines in values
            for number, line in enumerate(lines, start=1)
        ]
        if rows:
            await session.execute(insert(order_lines), rows)


RECORD_LISTS: dict[tuple[str, str], RecordList] = {
    ("posts", "tags"): TagNames(),
    ("orders", "lines"): OrderLines(),
}
"""(table, record field) -> where that field lives, for fields that are not columns."""
