"""Users in the ``users`` collection; their posts are removed with them."""

from __future__ import annotations

from storage.errors import NotFound
from storage.messages import EMAIL_TAKEN, USER_NOT_FOUND
from storage.mongo.documents import (
    GUARD,
    POSTS,
    USERS,
    Document,
    Session,
    find_page,
    next_id,
    update_fields,
)
from storage.mongo.queries import query_filter, sort_spec
from storage.mongo.runner import Runner
from storage.types import USERS as LISTING
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


class MongoUserStore:
    """``storage.protocol.UserStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._db = runner.db
        self._users = runner.db[USERS]
        self._posts = runner.db[POSTS]

    async def create(self, data: UserCreate) -> User:
        """Insert a user; the unique index on ``email_key`` decides conflicts."""
        now = utc_now()
        doc: Document = {
            **LISTING.with_keys(data.model_dump()),
            GUARD: 0,
            "created_at": now,
            "updated_at": now,
        }

        async def insert() -> None:
            doc["_id"] = await next_id(self._db, USERS)
            await self._users.insert_one(doc)

        await self._run.run(insert, duplicate=EMAIL_TAKEN)
        return to_user(doc)

    async def get(self, user_id: int) -> User:
        """Return one user or raise ``NotFound``."""
        doc = await self._run.run(lambda: self._users.find_one({"_id": user_id}))
        if doc is None:
            raise NotFound(USER_NOT_FOUND)
        return to_user(doc)

    async def list(self, query: UserQuery) -> Page[User]:
        """Return a page of users matching the filters, in the requested order."""
        docs, total = await self._run.run(
            lambda: find_page(self._users, query_filter(query), query, sort_spec(query.sort_key))
        )
        items = [to_user(d) for d in docs]
        return Page(items=items, total=total, skip=query.skip, limit=query.limit)

    async def update(self, user_id: int, changes: UserUpdate) -> User:
        """Set the sent fields and ``updated_at`` atomically; a taken email is a ``Conflict``."""
        fields = LISTING.with_keys(changes.changes())
        doc = await self._run.run(
            lambda: update_fields(self._users, user_id, fields), duplicate=EMAIL_TAKEN
        )
        if doc is None:
            raise NotFound(USER_NOT_FOUND)
        return to_user(doc)

    async def delete(self, user_id: int) -> None:
        """Delete the user and every post they wrote, in one transaction.

        A post being written for this user meanwhile writes the user's document
        (``Runner.guard``), so it conflicts with this delete and is retried:
        it then finds no author (404), or this delete finds its post.
        """

        async def delete(session: Session) -> None:
            result = await self._users.delete_one({"_id": user_id}, session=session)
            if result.deleted_count == 0:
                raise NotFound(USER_NOT_FOUND)
            await self._posts.delete_many({"author_id": user_id}, session=session)

        await self._run.transaction(delete)
