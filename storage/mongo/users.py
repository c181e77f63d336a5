"""Users in the ``users`` collection; their posts are removed with them."""

from __future__ import annotations

from storage.errors import NotFound
from storage.messages import EMAIL_TAKEN, USER_NOT_FOUND
from storage.mongo.documents import (
    POSTS,
    USERS,
    Database,
    Document,
    contains,
    find_page,
    next_id,
    sort_spec,
    update_fields,
)
from storage.mongo.errors import translate_errors
from storage.types import Page, User, UserCreate, UserQuery, UserUpdate, utc_now


def to_user(doc: Document) -> User:
    """Build the API model from a stored user document."""
    return User(
        id=doc["_id"],
        name=doc["name"],
        email=doc["email"],
        age=doc["age"],
        city=doc["city"],
        is_active=doc["is_active"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


def _filter(query: UserQuery) -> Document:
    filter_: Document = {}
    if query.name is not None:
        filter_["name"] = contains(query.name)
    if query.city is not None:
        filter_["city"] = contains(query.city)
    age: Document = {}
    if query.min_age is not None:
        age["$gte"] = query.min_age
    if query.max_age is not None:
        age["$lte"] = query.max_age
    if age:
        filter_["age"] = age
    if query.is_active is not None:
        filter_["is_active"] = query.is_active
    return filter_


class MongoUserStore:
    """``storage.protocol.UserStore`` on MongoDB."""

    def __init__(self, db: Database) -> None:
        self._users = db[USERS]
        self._posts = db[POSTS]
        self._db = db

    async def create(self, data: UserCreate) -> User:
        """Insert a user; the unique index on ``email`` (stored lower-case) decides conflicts."""
        now = utc_now()
        with translate_errors(duplicate=EMAIL_TAKEN):
            doc: Document = {
                "_id": await next_id(self._db, USERS),
                **data.model_dump(),
                "created_at": now,
                "updated_at": now,
            }
            await self._users.insert_one(doc)
        return to_user(doc)

    async def get(self, user_id: int) -> User:
        """Return one user or raise ``NotFound``."""
        with translate_errors():
            doc = await self._users.find_one({"_id": user_id})
        if doc is None:
            raise NotFound(USER_NOT_FOUND)
        return to_user(doc)

    async def list(self, query: UserQuery) -> Page[User]:
        """Return a page of users matching the filters, in the requested order."""
        with translate_errors():
            docs, total = await find_page(
                self._users, _filter(query), query, sort_spec(query.sort_key)
            )
        items = [to_user(d) for d in docs]
        return Page(items=items, total=total, skip=query.skip, limit=query.limit)

    async def update(self, user_id: int, changes: UserUpdate) -> User:
        """Set the sent fields and ``updated_at`` atomically; a taken email is a ``Conflict``."""
        with translate_errors(duplicate=EMAIL_TAKEN):
            doc = await update_fields(self._users, user_id, changes.changes())
        if doc is None:
            raise NotFound(USER_NOT_FOUND)
        return to_user(doc)

    async def delete(self, user_id: int) -> None:
        """Delete the user and every post they wrote."""
        # A standalone server has no multi-document transactions, so the order does
        # the work: posts first (no post is left without its author if we stop half
        # way), then the user, then the posts again to sweep one inserted meanwhile by
        # a create that had already checked the author (PostStore.create re-checks
        # the author after inserting, which closes the remaining window).
        with translate_errors():
            await self._posts.delete_many({"author_id": user_id})
            result = await self._users.delete_one({"_id": user_id})
            await self._posts.delete_many({"author_id": user_id})
        if result.deleted_count == 0:
            raise NotFound(USER_NOT_FOUND)
