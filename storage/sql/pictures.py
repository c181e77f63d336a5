"""Profile pictures on SQL: the ``pictures`` table and ``users.picture``.

Setting a picture locks the picture's row (inserting it if no user has it
yet), then the user's, so a concurrent transaction cannot delete the picture
between our finding it and our user naming it. (Two users swapping pictures
at once can deadlock on those locks; ``Database.transaction`` runs the loser
again.) A user that does not exist rolls it all back. Deleting a picture nobody names
locks its row, then is ``DELETE … WHERE NOT EXISTS (a user naming it)`` (two users
dropping one picture at once: the second sees the first's change); the foreign key from
``users.picture`` backs it up: if a concurrent transaction named it meanwhile,
the delete fails inside a savepoint and the picture simply stays.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, insert, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import NotFound, Unavailable
from storage.messages import PICTURE_NOT_FOUND
from storage.sql.database import Database
from storage.sql.prepared import Query, Read
from storage.sql.tables import pictures_table
from storage.sql.users import drop_if_unused, locked_user
from storage.types import User, utc_now
from storage.types.pictures import NewPicture, column_of

_ATTEMPTS = 3


def _image(size: int, column: Any, digest: str) -> Read[bytes]:
    def statement(_dialect: str) -> Select[Any]:
        return select(column.label("image")).where(pictures_table.c.digest == bindparam("digest"))

    # One statement per size (its column), prepared once each.
    rows = yield Query(("picture", size), statement, {"digest": digest})
    if not rows or rows[0]["image"] is None:
        raise NotFound(PICTURE_NOT_FOUND)
    return bytes(rows[0]["image"])


class SqlPictureStore:
    """``storage.protocol.PictureStore`` on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def image(self, digest: str, size: int) -> bytes:
        column = pictures_table.c.get(column_of(size))
        if column is None:
            raise NotFound(PICTURE_NOT_FOUND)
        return await self._db.reads.run(_image(size, column, digest), by_key=True)

    async def set(self, user_id: int, picture: NewPicture) -> User:
        async def work(session: AsyncSession) -> User:
            await _hold(session, picture, self._db.dialect)
            return await _name(session, user_id, picture.digest)

        return await self._db.transaction(work)

    async def remove(self, user_id: int) -> User:
        return await self._db.transaction(lambda session: _name(session, user_id, None))


async def _name(session: AsyncSession, user_id: int, digest: str | None) -> User:
    """Make the user name ``digest``; delete the picture they named before if now unused."""
    row = await locked_user(session, user_id)
    before = row.picture
    if before != digest:
        row.picture = digest
        row.updated_at = utc_now()
        await session.flush()
        if before is not None:
            await drop_if_unused(session, before)
    return User.model_validate(row)


async def _hold(session: AsyncSession, picture: NewPicture, dialect: str) -> None:
    """Store ``picture`` unless it is stored, and lock its row until the transaction ends."""
    locked = (
        select(pictures_table.c.id)
        .where(pictures_table.c.digest == picture.digest)
        .with_for_update()
    )
    for _ in range(_ATTEMPTS):
        if (await session.execute(locked)).first() is not None:
            return
        await session.execute(_insert_missing(dialect), [_row(picture)])
    # Inserted, then deleted by others before we could lock it, again and again.
    raise Unavailable("Database busy: the picture kept changing; try again")


def _row(picture: NewPicture) -> dict[str, Any]:
    now = utc_now()
    images = {column_of(size): data for size, data in picture.images.items()}
    return {"digest": picture.digest, **images, "created_at": now, "updated_at": now}


def _insert_missing(dialect: str) -> Any:
    """An INSERT of a picture that does nothing if the digest is stored already."""
    if dialect == "postgresql":
        return postgresql.insert(pictures_table).on_conflict_do_nothing(index_elements=["digest"])
    if dialect == "sqlite":
        return sqlite.insert(pictures_table).on_conflict_do_nothing(index_elements=["digest"])
    if dialect == "mysql":
        statement = mysql.insert(pictures_table)
        return statement.on_duplicate_key_update(digest=statement.inserted.digest)
    return insert(pictures_table)
