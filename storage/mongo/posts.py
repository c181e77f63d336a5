"""Posts in the ``posts`` collection, returned with their author embedded.

A page of posts costs three round trips at any page size: the page, its count,
and one batched ``$in`` query for the authors (no N+1), all read from one
snapshot, so the total and the authors agree with the page.
"""

from __future__ import annotations

from pymongo import ReturnDocument

from storage.errors import NotFound
from storage.messages import AUTHOR_NOT_FOUND, POST_NOT_FOUND, USER_NOT_FOUND
from storage.mongo.documents import (
    POSTS,
    USERS,
    Document,
    Session,
    find_by_ids,
    find_page,
    new_document,
    next_id,
    update_fields,
    versioned,
)
from storage.mongo.queries import query_filter
from storage.mongo.runner import Runner
from storage.mongo.users import to_author
from storage.types import POSTS as LISTING
from storage.types import (
    DraftScope,
    Page,
    Post,
    PostCreate,
    PostQuery,
    PostUpdate,
    ensure_current,
    utc_now,
)


def to_post(doc: Document, author: Document) -> Post:
    """Build the API model from a stored post and its author's document."""
    return Post(
        id=doc["_id"],
        title=doc["title"],
        content=doc["content"],
        published=doc["published"],
        tags=doc["tags"],
        author=to_author(author),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        version=doc["version"],
    )


def visible(drafts: DraftScope) -> Document:
    """The filter that leaves out the drafts ``drafts`` does not show (none for admins)."""
    if drafts.everyone:
        return {}
    if drafts.author_id is None:
        return {"published": True}
    return {"$or": [{"published": True}, {"author_id": drafts.author_id}]}


# Reads leave out the search keys: a post's content key alone can be 60k characters.
SHOWN: Document = {"title_key": 0, "content_key": 0}


class MongoPostStore:
    """``storage.protocol.PostStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._db = runner.db
        self._posts = runner.db[POSTS]
        self._users = runner.db[USERS]

    async def create(self, data: PostCreate) -> Post:
        """Insert a post for an existing author, in one transaction with the author check."""
        author_id = data.author_id
        if author_id is None:  # the API fills in the caller
            raise NotFound(AUTHOR_NOT_FOUND)
        doc = new_document(LISTING.with_keys(data.model_dump()))
        doc["_id"] = await self._run.run(lambda: next_id(self._db, POSTS))

        async def insert(session: Session) -> Document:
            author = await self._run.guard(session, USERS, author_id, AUTHOR_NOT_FOUND)
            await self._posts.insert_one(doc, session=session)
            return author

        author = await self._run.transaction(insert)
        return to_post(doc, author)

    async def get(self, post_id: int, drafts: DraftScope) -> Post:
        """Return one post with its author, or raise ``NotFound`` (also for a hidden draft)."""

        async def read(session: Session) -> tuple[Document | None, Document | None]:
            doc = await self._posts.find_one({"_id": post_id}, SHOWN, session=session)
            if doc is None:
                return None, None
            return doc, await self._users.find_one({"_id": doc["author_id"]}, session=session)

        doc, author = await self._run.snapshot(read)
        if doc is None or author is None:
            raise NotFound(POST_NOT_FOUND)
        post = to_post(doc, author)
        if not drafts.shows(post):
            raise NotFound(POST_NOT_FOUND)
        return post

    async def list(self, query: PostQuery, drafts: DraftScope) -> Page[Post]:
        """Return a page of posts matching the query, authors embedded."""
        page = await self._page(query, drafts)
        assert page is not None  # only a missing author_id user gives None
        return page

    async def list_by_author(
        self, author_id: int, query: PostQuery, drafts: DraftScope
    ) -> Page[Post]:
        """Return a page of one author's posts; ``NotFound`` if the user does not exist."""
        # The author in the path wins over any author_id in the query, as on SQL.
        by_author = query.model_copy(update={"author_id": author_id})
        page = await self._page(by_author, drafts, author_id)
        if page is None:
            raise NotFound(USER_NOT_FOUND)
        return page

    async def update(self, post_id: int, changes: PostUpdate, expected: str | None = None) -> Post:
        """Set the sent fields (``tags`` replaces the list) and ``updated_at``."""
        fields = LISTING.with_keys(changes.changes())
        if expected is None:
            doc = await self._run.run(lambda: update_fields(self._posts, post_id, fields))
            return await self._with_author(doc)

        async def update(session: Session) -> Post:
            current = await self._current(session, post_id, expected)
            doc = versioned(await update_fields(self._posts, post_id, fields, session, current))
            return to_post(doc, await self._author_of(session, doc))

        return await self._run.transaction(update)

    async def publish(self, post_id: int) -> Post:
        """Mark the post published; ``updated_at`` moves only if it was a draft."""

        async def publish() -> Document | None:
            # Matching on published=False makes the change atomic and idempotent.
            doc = await self._posts.find_one_and_update(
                {"_id": post_id, "published": False},
                {"$set": {"published": True, "updated_at": utc_now()}, "$inc": {"version": 1}},
                SHOWN,
                return_document=ReturnDocument.AFTER,
            )
            return doc or await self._posts.find_one({"_id": post_id}, SHOWN)

        return await self._with_author(await self._run.run(publish))

    async def delete(self, post_id: int, expected: str | None = None) -> None:
        """Delete one post or raise ``NotFound``."""
        if expected is None:
            result = await self._run.run(lambda: self._posts.delete_one({"_id": post_id}))
            if result.deleted_count == 0:
                raise NotFound(POST_NOT_FOUND)
            return

        async def delete(session: Session) -> None:
            current = await self._current(session, post_id, expected)
            filter_ = {"_id": post_id, "version": current["version"]}
            if (await self._posts.delete_one(filter_, session=session)).deleted_count == 0:
                versioned(None)

        await self._run.transaction(delete)

    async def _current(self, session: Session, post_id: int, expected: str) -> Document:
        """The post as it is in this transaction, checked against ``expected`` (If-Match)."""
        doc = await self._posts.find_one({"_id": post_id}, SHOWN, session=session)
        if doc is None:
            raise NotFound(POST_NOT_FOUND)
        ensure_current(to_post(doc, await self._author_of(session, doc)), expected)
        return doc

    async def _author_of(self, session: Session, doc: Document) -> Document:
        author = await self._users.find_one({"_id": doc["author_id"]}, session=session)
        if author is None:  # deleted with its posts since this post was read
            raise NotFound(POST_NOT_FOUND)
        return author

    async def _with_author(self, doc: Document | None) -> Post:
        if doc is None:
            raise NotFound(POST_NOT_FOUND)
        author = await self._run.run(lambda: self._users.find_one({"_id": doc["author_id"]}))
        if author is None:  # deleted with its posts since this post was written
            raise NotFound(POST_NOT_FOUND)
        return to_post(doc, author)

    async def _page(
        self, query: PostQuery, drafts: DraftScope, author_id: int | None = None
    ) -> Page[Post] | None:
        """The page (None if ``author_id`` names no user), read from one snapshot."""

        async def read(session: Session) -> Page[Post] | None:
            known: Document | None = None
            if author_id is not None:
                known = await self._users.find_one({"_id": author_id}, session=session)
                if known is None:
                    return None
            filter_, shown = query_filter(query), visible(drafts)
            if shown:
                filter_ = {"$and": [filter_, shown]}
            docs, total = await find_page(self._posts, filter_, query, session, SHOWN)
            if known is not None:
                authors = {known["_id"]: known}
            else:
                ids = {d["author_id"] for d in docs}
                authors = await find_by_ids(self._users, ids, session)
            items = [to_post(d, authors[d["author_id"]]) for d in docs]
            return Page.of(items, query, total)

        return await self._run.snapshot(read)
