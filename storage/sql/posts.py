"""Posts and tags on SQL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from storage.errors import NotFound
from storage.messages import AUTHOR_NOT_FOUND, POST_NOT_FOUND
from storage.sql.database import Database, lock_row
from storage.sql.post_reads import one_post, page_of_posts
from storage.sql.tables import PostRow, TagRow, UserRow
from storage.types import (
    POSTS,
    Author,
    DraftScope,
    Page,
    Post,
    PostCreate,
    PostQuery,
    PostUpdate,
    ensure_current,
    utc_now,
)

# Author in the same statement (many-to-one: no extra rows), tags in one more:
# the round trips for a page do not depend on its size.
WITH_AUTHOR_AND_TAGS = (joinedload(PostRow.author), selectinload(PostRow.tags))


def to_post(row: PostRow) -> Post:
    """The shared model of a post row whose author and tags are loaded."""
    return Post(
        id=row.id,
        title=row.title,
        content=row.content,
        published=row.published,
        tags=sorted(tag.name for tag in row.tags),
        author=Author.model_validate(row.author),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class SqlPostStore:
    """``storage.protocol.PostStore`` on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, data: PostCreate) -> Post:
        now = utc_now()
        # A foreign-key failure means the author was deleted meanwhile.
        async with self._db.write(on_foreign_key=partial(NotFound, AUTHOR_NOT_FOUND)) as session:
            author = None if data.author_id is None else await session.get(UserRow, data.author_id)
            if author is None:
                raise NotFound(AUTHOR_NOT_FOUND)
            row = PostRow(
                **POSTS.with_keys(data.model_dump(exclude={"tags", "author_id"})),
                author=author,
                tags=await _tags_named(session, self._db.dialect, data.tags),
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            return to_post(row)

    async def get(self, post_id: int, drafts: DraftScope) -> Post:
        return await self._db.reads.run(one_post(post_id, drafts), by_key=True)

    async def list(self, query: PostQuery, drafts: DraftScope) -> Page[Post]:
        return await self._db.reads.run(page_of_posts(query, drafts))

    async def list_by_author(
        self, author_id: int, query: PostQuery, drafts: DraftScope
    ) -> Page[Post]:
        return await self._db.reads.run(page_of_posts(query, drafts, author_id))

    async def update(self, post_id: int, changes: PostUpdate, expected: str | None = None) -> Post:
        async with self._db.write() as session:
            row = await _locked_post(session, post_id)
            ensure_current(to_post(row), expected)
            fields = POSTS.with_keys(changes.changes())
            if fields:
                if "tags" in fields:
                    row.tags = await _tags_named(session, self._db.dialect, fields.pop("tags"))
                for name, value in fields.items():
                    setattr(row, name, value)
                row.updated_at = utc_now()
                await session.flush()
            return to_post(row)

    async def publish(self, post_id: int) -> Post:
        async with self._db.write() as session:
            row = await _locked_post(session, post_id)
            if not row.published:
                row.published = True
                row.updated_at = utc_now()
                await session.flush()
            return to_post(row)

    async def delete(self, post_id: int, expected: str | None = None) -> None:
        async with self._db.write() as session:
            if expected is not None:
                ensure_current(to_post(await _locked_post(session, post_id)), expected)
            result = await session.execute(delete(PostRow).where(PostRow.id == post_id))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(POST_NOT_FOUND)


async def _tags_named(session: AsyncSession, dialect: str, names: Sequence[str]) -> list[TagRow]:
    """The tag rows for ``names``, creating the missing ones (safe under concurrency)."""
    if not names:
        return []
    await session.execute(insert_missing_tags(dialect, names))
    rows = await session.scalars(select(TagRow).where(TagRow.name.in_(names)).order_by(TagRow.name))
    return list(rows)


async def _locked_post(session: AsyncSession, post_id: int) -> PostRow:
    await lock_row(session, PostRow.id, post_id)
    row = await session.get(PostRow, post_id, options=WITH_AUTHOR_AND_TAGS)
    if row is None:
        raise NotFound(POST_NOT_FOUND)
    return row


def insert_missing_tags(dialect: str, names: Sequence[str]) -> Any:
    """One statement that creates the tags of ``names`` (sorted) that do not exist yet."""
    # Insert-if-absent in one statement: a tag created by a concurrent request
    # is not a conflict. Names arrive sorted, so concurrent inserts lock in the
    # same order and cannot deadlock.
    rows = [{"name": name} for name in names]
    if dialect == "postgresql":
        return (
            postgresql.insert(TagRow).values(rows).on_conflict_do_nothing(index_elements=["name"])
        )
    if dialect == "sqlite":
        return sqlite.insert(TagRow).values(rows).on_conflict_do_nothing()
    statement = mysql.insert(TagRow).values(rows)
    return statement.on_duplicate_key_update(name=statement.inserted.name)
