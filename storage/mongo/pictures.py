"""Profile pictures in the ``pictures`` collection (BinData per size) and ``users.picture``.

Setting or removing a picture is one transaction: the picture's document is
written (inserted, or its ``txn_guard`` bumped if stored already), the user
names it, and the user's previous picture is deleted if no user names it any
more. Writing the picture's document makes a concurrent transaction that
deletes it conflict with this one (one of them is retried), so a picture a
user names is never deleted; two uploads inserting the same new picture meet
at the unique index on ``digest``, and the loser runs again and finds it.
"""

from __future__ import annotations

from pymongo import ReturnDocument

from storage.errors import Conflict, NotFound
from storage.messages import PICTURE_NOT_FOUND, USER_NOT_FOUND
from storage.mongo.documents import (
    GUARD,
    PICTURES,
    USERS,
    Document,
    Session,
    new_document,
    next_id,
    update_fields,
)
from storage.mongo.runner import Runner
from storage.mongo.users import drop_if_unused, to_user
from storage.types import User
from storage.types.pictures import SIZES, NewPicture, column_of


class MongoPictureStore:
    """``storage.protocol.PictureStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._db = runner.db
        self._pictures = runner.db[PICTURES]
        self._users = runner.db[USERS]

    async def image(self, digest: str, size: int) -> bytes:
        if size not in SIZES:
            raise NotFound(PICTURE_NOT_FOUND)
        field = column_of(size)
        doc = await self._run.run(
            lambda: self._pictures.find_one({"digest": digest}, {field: 1, "_id": 0})
        )
        if doc is None:
            raise NotFound(PICTURE_NOT_FOUND)
        return bytes(doc[field])

    async def set(self, user_id: int, picture: NewPicture) -> User:
        # Reserved outside the transaction, as every insert's id is (see ``reserve_ids``);
        # unused when the picture is stored already, which leaves a gap, never a clash.
        new_id = await self._run.run(lambda: next_id(self._db, PICTURES))
        images = {column_of(size): data for size, data in picture.images.items()}
        inserted = new_document({"_id": new_id, **images})

        async def work(session: Session) -> User:
            await self._pictures.find_one_and_update(
                {"digest": picture.digest},
                {"$inc": {GUARD: 1}, "$setOnInsert": inserted},
                upsert=True,
                return_document=ReturnDocument.AFTER,
                projection={"_id": 1},
                session=session,
            )
            return await self._name(session, user_id, picture.digest)

        try:
            return await self._run.transaction(work)
        except Conflict:
            # The same picture was inserted by a concurrent upload first (the unique
            # index on ``digest`` decided): it is stored now, so this attempt finds it.
            return await self._run.transaction(work)

    async def remove(self, user_id: int) -> User:
        return await self._run.transaction(lambda session: self._name(session, user_id, None))

    async def _name(self, session: Session, user_id: int, digest: str | None) -> User:
        """Make the user name ``digest``; delete the picture they named before if now unused."""
        current: Document | None = await self._users.find_one({"_id": user_id}, session=session)
        if current is None:
            raise NotFound(USER_NOT_FOUND)
        before = current["picture"]
        if before == digest:
            return to_user(current)
        doc = await update_fields(self._users, user_id, {"picture": digest}, session, current)
        if doc is None:
            raise NotFound(USER_NOT_FOUND)
        if before is not None:
            await drop_if_unused(self._db, session, before)
        return to_user(doc)
