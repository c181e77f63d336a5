"""Reading posts with Core: a page of posts, their authors and tags in two statements.

One statement joins posts to their authors; one more fetches the tags of every
post on the page. The count is a third. None of it grows with the page size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.sql.queries import (
    columns_of,
    order_by,
    paged,
    shown,
    total,
    unprefixed,
    where,
)
from storage.sql.tables import post_tags, posts_table, tags_table, users_table
from storage.types import Author, Page, Post, PostQuery

AUTHOR = "author__"


class TagLinks:
    """A post's tags, kept in ``post_tags``: the ``has`` filter of ``tag``."""

    def has(self, value: Any) -> ColumnElement[bool]:
        # IN (…) rather than a correlated EXISTS: the stores start from the tag's
        # few links instead of testing every post (MariaDB: 160 ms -> a few ms).
        tagged = (
            select(post_tags.c.post_id)
            .join(tags_table, tags_table.c.id == post_tags.c.tag_id)
            .where(tags_table.c.name == value)
        )
        return posts_table.c.id.in_(tagged)


COLUMNS = columns_of(posts_table, tags=TagLinks())


def posts_with_authors() -> Select[Any]:
    """Posts joined to their authors (many-to-one: one row per post)."""
    # The author's stored fields (``image_url`` is derived from ``picture``).
    author = [
        users_table.c[name].label(AUTHOR + name)
        for name in Author.model_fields
        if name in users_table.c
    ]
    return select(*shown(posts_table), *author).join(
        users_table, users_table.c.id == posts_table.c.author_id
    )


async def fetch_posts(
    conn: AsyncConnection, statement: Select[Any], parameters: dict[str, Any] | None = None
) -> list[Post]:
    """Run a ``posts_with_authors()`` statement and attach every post's tags."""
    rows = (await conn.execute(statement, parameters)).mappings().all()
    tags = await tags_of(conn, [row["id"] for row in rows])
    return [
        Post(
            id=row["id"],
            title=row["title"],
            content=row["content"],
            published=row["published"],
            tags=tags.get(row["id"], []),
            author=Author.model_validate(unprefixed(row, AUTHOR)),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=row["version"],
        )
        for row in rows
    ]


async def page_of_posts(conn: AsyncConnection, query: PostQuery, dialect: str) -> Page[Post]:
    """The page of posts matching ``query``, with the total that match."""
    matching = select(posts_table.c.id).where(*where(query, COLUMNS))
    counted = await total(conn, matching, query)
    # Pick the page's ids from posts alone, then join authors to those rows.
    # Joining first let MariaDB drive the join from users and sort every post
    # (300 ms a page at 50k posts); this way each store walks the posts index.
    page = paged(matching, query, COLUMNS, posts_table.c.id, dialect).subquery("page")
    statement = posts_with_authors().join(page, page.c.id == posts_table.c.id)
    items = await fetch_posts(conn, order_by(statement, query, COLUMNS, posts_table.c.id, dialect))
    return Page.of(items, query, counted)


async def tags_of(conn: AsyncConnection, post_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each post's tag names, sorted by code point (posts without tags are left out)."""
    if not post_ids:
        return {}
    statement = (
        select(post_tags.c.post_id, tags_table.c.name)
        .join(tags_table, tags_table.c.id == post_tags.c.tag_id)
        .where(post_tags.c.post_id.in_(post_ids))
    )
    names: dict[int, list[str]] = {}
    for post_id, name in await conn.execute(statement):
        names.setdefault(post_id, []).append(name)
    # Sorted here, by code point, whatever the database's collation.
    return {post_id: sorted(tag_names) for post_id, tag_names in names.items()}
