"""Users in the ``users`` collection; their posts (and unused picture) are removed with them."""

from __future__ import annotations

from pymongo import ReadPreference

from storage.errors import Conflict, NotFound
from storage.messages import USER_NOT_FOUND, logins_taken
from storage.mongo.documents import (
    GUARD,
    PICTURES,
    POSTS,
    USERS,
    Database,
    Document,
    Session,
    find_page,
    new_document,
    next_id,
    reserve_ids,
    update_fields,
    versioned,
)
from storage.mongo.fields import from_document
from storage.mongo.queries import query_filter
from storage.mongo.runner import Runner
from storage.types import USERS as LISTING
from storage.types import Author, NewUser, Page, User, UserQuery, UserUpdate, ensure_current
from storage.types.users import login_conflict, login_conflicts, login_keys


def to_user(doc: Document) -> User:
    """Build the API model from a stored user document."""
    return User.model_validate(from_document(User, doc))


def to_author(doc: Document) -> Author:
    """A user document as a post embeds it."""
    return Author.model_validate(from_document(Author, doc))


def _document(data: NewUser) -> Document:
    fields = LISTING.with_keys(data.model_dump())
    return new_document({**fields, "token_version": 0, "picture": None, GUARD: 0})


async def drop_if_unused(db: Database, session: Session, digest: str) -> None:
    """Delete picture ``digest`` if no user names it (the users' deletes and changes call it).

    A transaction naming the picture meanwhile writes its document
    (``Runner.guard``), so it and this delete cannot both commit. This one
    writes it too before looking: two users who share the picture and drop it
    at once would otherwise each see the other still naming it (snapshot
    isolation) and both keep it, stored and unused; now they conflict, and the
    one run again sees the other's change.
    """
    held = await db[PICTURES].update_one({"digest": digest}, {"$inc": {GUARD: 1}}, session=session)
    if held.matched_count == 0:
        return
    if await db[USERS].find_one({"picture": digest}, {"_id": 1}, session=session) is None:
        await db[PICTURES].delete_one({"digest": digest}, session=session)


class MongoUserStore:
    """``storage.protocol.UserStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._db = runner.db
        self._users = runner.db[USERS]
        self._posts = runner.db[POSTS]
        # Checks that explain or prevent a refused insert read what the unique
        # index saw: the primary, whatever readPreference sends other reads to.
        self._primary_users = self._users.with_options(read_preference=ReadPreference.PRIMARY)

    async def create(self, data: NewUser) -> User:
        """Insert a user; the unique indexes on ``email_key`` and ``username_key`` decide."""
        doc = _document(data)

        async def insert() -> None:
            doc["_id"] = await next_id(self._db, USERS)
            await self._users.insert_one(doc)

        try:
            await self._run.run(insert)
        except Conflict as exc:
            raise await login_conflict(exc, lambda: self._email_taken(doc["email_key"])) from None
        return to_user(doc)

    async def _email_taken(self, email_key: str | None, user_id: int | None = None) -> bool:
        """Whether a user other than ``user_id`` has the email key ``email_key``."""
        found = {"email_key": email_key, "_id": {"$ne": user_id}}
        # The primary: the document that refused ours may be too new for a secondary.
        taken = await self._run.run(lambda: self._primary_users.find_one(found, {"_id": 1}))
        return taken is not None

    async def create_many(self, data: list[NewUser]) -> list[User]:
        """Insert all users or none: ids in one counter step, one ``insert_many`` transaction."""
        docs = [_document(user) for user in data]
        await self._run.run(lambda: self._refuse_taken_logins(data))
        ids = await self._run.run(lambda: reserve_ids(self._db, USERS, len(docs)))
        for doc, doc_id in zip(docs, ids, strict=True):
            doc["_id"] = doc_id

        async def insert(session: Session) -> None:
            await self._users.insert_many(docs, ordered=True, session=session)

        try:
            await self._run.transaction(insert)
        except Conflict:
            # Taken meanwhile by a concurrent insert: name them all, as the check would.
            await self._run.run(lambda: self._refuse_taken_logins(data))
            raise
        return [to_user(doc) for doc in docs]

    async def _refuse_taken_logins(self, data: list[NewUser]) -> None:
        emails, usernames = login_keys(data)
        cursor = self._primary_users.find(
            {
                "$or": [
                    {"email_key": {"$in": sorted(set(emails))}},
                    {"username_key": {"$in": sorted(set(usernames))}},
                ]
            },
            {"email_key": 1, "username_key": 1},
        )
        found = await cursor.to_list()
        conflicts = login_conflicts(
            data, {doc["email_key"] for doc in found}, {doc["username_key"] for doc in found}
        )
        if conflicts:
            raise Conflict(logins_taken(conflicts), details=conflicts)

    async def get(self, user_id: int) -> User:
        """Return one user or raise ``NotFound``."""
        doc = await self._run.run(lambda: self._users.find_one({"_id": user_id}))
        if doc is None:
            raise NotFound(USER_NOT_FOUND)
        return to_user(doc)

    async def list(self, query: UserQuery) -> Page[User]:
        """Return a page of users matching the filters, in the requested order."""
        docs, total = await self._run.run(
            lambda: find_page(self._users, query_filter(query), query)
        )
        return Page.of([to_user(d) for d in docs], query, total)

    async def update(self, user_id: int, changes: UserUpdate, expected: str | None = None) -> User:
        """Set the sent fields and ``updated_at`` atomically; a taken email is a ``Conflict``."""
        fields = LISTING.with_keys(changes.changes())

        async def update(session: Session | None) -> Document | None:
            if expected is None:
                return await update_fields(self._users, user_id, fields, session)
            current = await self._current(session, user_id)
            ensure_current(to_user(current), expected)
            return versioned(await update_fields(self._users, user_id, fields, session, current))

        try:
            if expected is None:
                doc = await self._run.run(lambda: update(None))
            else:
                doc = await self._run.transaction(update)
        except Conflict as exc:
            key = fields.get("email_key")
            raise await login_conflict(exc, lambda: self._email_taken(key, user_id)) from None
        if doc is None:
            raise NotFound(USER_NOT_FOUND)
        return to_user(doc)

    async def delete(self, user_id: int, expected: str | None = None) -> None:
        """Delete the user and every post they wrote, in one transaction (orders stay).

        A post being written for this user meanwhile writes the user's document
        (``Runner.guard``), so it conflicts with this delete and is retried:
        it then finds no author (404), or this delete finds its post.
        """

        async def delete(session: Session) -> None:
            if expected is not None:
                ensure_current(to_user(await self._current(session, user_id)), expected)
            deleted = await self._users.find_one_and_delete(
                {"_id": user_id}, {"picture": 1}, session=session
            )
            if deleted is None:
                raise NotFound(USER_NOT_FOUND)
            await self._posts.delete_many({"author_id": user_id}, session=session)
            if deleted["picture"] is not None:
                await drop_if_unused(self._db, session, deleted["picture"])

        await self._run.transaction(delete)

    async def _current(self, session: Session | None, user_id: int) -> Document:
        doc = await self._users.find_one({"_id": user_id}, session=session)
        if doc is None:
            raise NotFound(USER_NOT_FOUND)
        return doc
