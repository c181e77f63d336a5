"""Posts in the ``posts`` collection, returned with their author embedded.

A page of posts costs three round trips at any page size: the page, its count,
and one batched ``$in`` query for the authors (no N+1).
"""

from __future__ import annotations

from pymongo import ReturnDocument

from storage.errors import NotFound
from storage.messages import AUTHOR_NOT_FOUND, POST_NOT_FOUND, USER_NOT_FOUND
from storage.mongo.documents import (
    POSTS,
    USERS,
    Database,
    Document,
    contains,
    find_by_ids,
    find_page,
    next_id,
    sort_spec,
    update_fields,
)
from storage.mongo.errors import translate_errors
from storage.mongo.users import to_user
from storage.types import Page, Post, PostCreate, PostQuery, PostUpdate, utc_now


def to_post(doc: Document, author: Document) -> Post:
    """Build the API model from a stored post and its author's document."""
    return Post(
        id=doc["_id"],
        title=doc["title"],
        content=doc["content"],
        published=doc["published"],
        tags=doc["tags"],
        author=to_user(author),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


def _filter(query: PostQuery) -> Document:
    filter_: Document = {}
    if query.published is not None:
        filter_["published"] = query.published
    if query.author_id is not None:
        filter_["author_id"] = query.author_id
    if query.tag is not None:
        filter_["tags"] = query.tag  # equality on an array field matches any element
    if query.q is not None:
        filter_["$or"] = [{"title": contains(query.q)}, {"content": contains(query.q)}]
    return filter_


class MongoPostStore:
    """``storage.protocol.PostStore`` on MongoDB."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._posts = db[POSTS]
        self._users = db[USERS]

    async def create(self, data: PostCreate) -> Post:
        """Insert a post after checking its author exists."""
        with translate_errors():
            author = await self._users.find_one({"_id": data.author_id})
            if author is None:
                raise NotFound(AUTHOR_NOT_FOUND)
            now = utc_now()
            doc: Document = {
                "_id": await next_id(self._db, POSTS),
                **data.model_dump(),
                "created_at": now,
                "updated_at": now,
            }
            await self._posts.insert_one(doc)
            # No transaction ties the check to the insert: if the author was deleted
            # meanwhile (after its final sweep of posts), take the post back.
            if await self._users.find_one({"_id": data.author_id}, {"_id": 1}) is None:
                await self._posts.delete_one({"_id": doc["_id"]})
                raise NotFound(AUTHOR_NOT_FOUND)
        return to_post(doc, author)

    async def get(self, post_id: int) -> Post:
        """Return one post with its author, or raise ``NotFound``."""
        with translate_errors():
            doc = await self._posts.find_one({"_id": post_id})
            author = None if doc is None else await self._users.find_one({"_id": doc["author_id"]})
        if doc is None or author is None:
            # A post whose author is gone is being deleted with that author.
            raise NotFound(POST_NOT_FOUND)
        return to_post(doc, author)

    async def list(self, query: PostQuery) -> Page[Post]:
        """Return a page of posts matching the query, authors embedded."""
        return await self._page(_filter(query), query)

    async def list_by_author(self, author_id: int, query: PostQuery) -> Page[Post]:
        """Return a page of one author's posts; ``NotFound`` if the user does not exist."""
        with translate_errors():
            author = await self._users.find_one({"_id": author_id})
        if author is None:
            raise NotFound(USER_NOT_FOUND)
        # The author in the path wins over any author_id in the query, as on SQL.
        filter_ = _filter(query.model_copy(update={"author_id": author_id}))
        return await self._page(filter_, query, known_author=author)

    async def update(self, post_id: int, changes: PostUpdate) -> Post:
        """Set the sent fields (``tags`` replaces the list) and ``updated_at``."""
        with translate_errors():
            doc = await update_fields(self._posts, post_id, changes.changes())
        return await self._with_author(doc)

    async def publish(self, post_id: int) -> Post:
        """Mark the post published; ``updated_at`` moves only if it was a draft."""
        with translate_errors():
            # Matching on published=False makes the change atomic and idempotent.
            doc = await self._posts.find_one_and_update(
                {"_id": post_id, "published": False},
                {"$set": {"published": True, "updated_at": utc_now()}},
                return_document=ReturnDocument.AFTER,
            )
            if doc is None:
                doc = await self._posts.find_one({"_id": post_id})
        return await self._with_author(doc)

    async def delete(self, post_id: int) -> None:
        """Delete one post or raise ``NotFound``."""
        with translate_errors():
            result = await self._posts.delete_one({"_id": post_id})
        if result.deleted_count == 0:
            raise NotFound(POST_NOT_FOUND)

    async def _with_author(self, doc: Document | None) -> Post:
        if doc is None:
            raise NotFound(POST_NOT_FOUND)
        with translate_errors():
            author = await self._users.find_one({"_id": doc["author_id"]})
        if author is None:
            raise NotFound(POST_NOT_FOUND)
        return to_post(doc, author)

    async def _page(
        self, filter_: Document, query: PostQuery, known_author: Document | None = None
    ) -> Page[Post]:
        sort = sort_spec(query.sort_key)
        with translate_errors():
            docs, total = await find_page(self._posts, filter_, query, sort)
            if known_author is not None:
                authors = {known_author["_id"]: known_author}
            else:
                authors = await find_by_ids(self._users, {d["author_id"] for d in docs})
        # A post whose author vanished between the two queries is being deleted with
        # that author; leaving it out is what a moment later would show anyway.
        items = [to_post(d, authors[d["author_id"]]) for d in docs if d["author_id"] in authors]
        return Page(items=items, total=total, skip=query.skip, limit=query.limit)
