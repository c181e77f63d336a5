"""Reading posts: a page of posts, their authors and tags in two statements (three with the count).

One statement joins posts to their authors; one more fetches the tags of every
post on the page. The count is a third. None of it grows with the page size.
Drafts the reader may not see are left out in the statements themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import NotFound
from storage.messages import POST_NOT_FOUND, USER_NOT_FOUND
from storage.sql.prepared import Read, Row, query
from storage.sql.queries import (
    Embedded,
    among,
    columns_of,
    order_by,
    page_of,
    paged,
    shown,
    where,
)
from storage.sql.tables import post_tags, posts_table, tags_table, users_table
from storage.types import Author, DraftScope, Page, Post, PostQuery


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


def visible(drafts: DraftScope) -> list[ColumnElement[bool]]:
    """WHERE clauses that leave out the drafts ``drafts`` does not show (none for admins).

    The author is a parameter (``drafts_values``), so every signed-in reader
    shares one statement.
    """
    if drafts.everyone:
        return []
    published = posts_table.c.published == true()
    if drafts.author_id is None:
        return [published]
    return [or_(published, posts_table.c.author_id == bindparam("drafts_author"))]


def drafts_values(drafts: DraftScope) -> dict[str, Any]:
    """The values of ``visible(drafts)``'s parameters."""
    if drafts.everyone or drafts.author_id is None:
        return {}
    return {"drafts_author": drafts.author_id}


def drafts_shape(drafts: DraftScope) -> str:
    """Which SQL ``visible(drafts)`` is: all posts, published ones, or also one author's."""
    if drafts.everyone:
        return "all"
    return "published" if drafts.author_id is None else "own"


# The author's stored fields (``image_url`` is derived from ``picture``).
AUTHOR = Embedded(
    users_table, "author__", [name for name in Author.model_fields if name in users_table.c]
)


def posts_with_authors() -> Select[Any]:
    """Posts joined to their authors (many-to-one: one row per post)."""
    return select(*shown(posts_table), *AUTHOR.columns).join(
        users_table, users_table.c.id == posts_table.c.author_id
    )


POST_BY_ID = posts_with_authors().where(posts_table.c.id == bindparam("id"))
USER_EXISTS = select(users_table.c.id).where(users_table.c.id == bindparam("id"))


def one_post(post_id: int, drafts: DraftScope) -> Read[Post]:
    """The post with its author and tags; ``NotFound`` if missing or a draft ``drafts`` hides."""
    rows = yield query(POST_BY_ID, id=post_id)
    found = yield from with_tags(rows)
    if not found or not drafts.shows(found[0]):
        raise NotFound(POST_NOT_FOUND)
    return found[0]


def page_of_posts(
    page_query: PostQuery, drafts: DraftScope, author_id: int | None = None
) -> Read[Page[Post]]:
    """The page of posts matching ``page_query`` that ``drafts`` shows, with the total.

    With ``author_id``, one author's posts (``NotFound`` if there is no such user).
    """
    if author_id is not None:
        if not (yield query(USER_EXISTS, id=author_id)):
            raise NotFound(USER_NOT_FOUND)
        page_query = page_query.model_copy(update={"author_id": author_id})

    def matching(_dialect: str) -> Select[Any]:
        return select(posts_table.c.id).where(*where(page_query, COLUMNS), *visible(drafts))

    def page(dialect: str) -> Select[Any]:
        # Pick the page's ids from posts alone, then join authors to those rows.
        # Joining first let MariaDB drive the join from users and sort every post
        # (300 ms a page at 50k posts); this way each store walks the posts index.
        ids = paged(matching(dialect), page_query, COLUMNS, posts_table.c.id, dialect)
        chosen = ids.subquery("page")
        statement = posts_with_authors().join(chosen, chosen.c.id == posts_table.c.id)
        return order_by(statement, page_query, COLUMNS, posts_table.c.id, dialect)

    return (
        yield from page_of(
            page_query,
            matching,
            page,
            items=with_tags,
            extra=drafts_values(drafts),
            extra_shape=drafts_shape(drafts),
        )
    )


def with_tags(rows: list[Row]) -> Read[list[Post]]:
    """The posts of ``rows`` (``posts_with_authors``) with their tags: one more statement."""
    if not rows:
        return []
    links = yield among("post_tags", [row["id"] for row in rows], post_tags.c.post_id, _tags)
    tags = _grouped(links)
    return [
        Post(
            id=row["id"],
            title=row["title"],
            content=row["content"],
            published=row["published"],
            tags=tags.get(row["id"], []),
            author=Author.model_validate(AUTHOR.of(row)),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=row["version"],
        )
        for row in rows
    ]


def _tags(among_posts: Any) -> Select[Any]:
    return (
        select(post_tags.c.post_id, tags_table.c.name)
        .join(tags_table, tags_table.c.id == post_tags.c.tag_id)
        .where(among_posts)
    )


def _grouped(links: Iterable[Mapping[str, Any]]) -> dict[int, list[str]]:
    """Tag names by post, sorted here, by code point, whatever the database's collation."""
    names: dict[int, list[str]] = {}
    for link in links:
        names.setdefault(link["post_id"], []).append(link["name"])
    return {post_id: sorted(tag_names) for post_id, tag_names in names.items()}


async def tags_of(conn: AsyncConnection, post_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each post's tag names on an engine connection (copies); posts without tags left out."""
    if not post_ids:
        return {}
    result = await conn.execute(_tags(post_tags.c.post_id.in_(post_ids)))
    return _grouped(result.mappings())
