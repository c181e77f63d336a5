"""Users on SQL (and the one rule about their pictures: an unused one is deleted)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, delete, exists, insert, or_, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import Conflict, NotFound
from storage.messages import USER_NOT_FOUND, logins_taken
from storage.sql.database import Database
from storage.sql.prepared import Read, query
from storage.sql.queries import columns_of, page_of, paged, shown, where
from storage.sql.rows import added, locked, update_row
from storage.sql.tables import UserRow, pictures_table, users_table
from storage.types import (
    USERS,
    NewUser,
    Page,
    User,
    UserQuery,
    UserUpdate,
    ensure_current,
    utc_now,
)
from storage.types.text import fold
from storage.types.users import login_conflict, login_conflicts, login_keys

SHOWN = shown(users_table)
# Built once: constructing and cache-keying a statement per request is measurable.
USER_BY_ID = select(*SHOWN).where(users_table.c.id == bindparam("id"))
COLUMNS = columns_of(users_table)


class SqlUserStore:
    """``storage.protocol.UserStore`` on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, data: NewUser) -> User:
        fields = USERS.with_keys(data.model_dump())

        async def insert(session: AsyncSession) -> User:
            return User.model_validate(await added(session, UserRow, **fields))

        try:
            return await self._db.transaction(insert)
        except Conflict as exc:
            raise await login_conflict(exc, lambda: self._email_taken(fold(data.email))) from None

    async def _email_taken(self, email_key: str | None, user_id: int | None = None) -> bool:
        """Whether a user other than ``user_id`` has the email key ``email_key``."""
        found = select(UserRow.id).where(UserRow.email_key == email_key, UserRow.id != user_id)
        async with self._db.read() as conn:  # the primary: the row that refused ours is new
            return (await conn.execute(found)).first() is not None

    async def create_many(self, data: list[NewUser]) -> list[User]:
        now = utc_now()
        rows = [
            {**USERS.with_keys(user.model_dump()), "created_at": now, "updated_at": now}
            for user in data
        ]

        async def insert_all(session: AsyncSession) -> list[int]:
            await _refuse_taken_logins(session, data)
            # One multi-row INSERT per batch (executemany), ids in input order.
            statement = insert(UserRow).returning(UserRow.id, sort_by_parameter_order=True)
            return list(await session.scalars(statement, rows))

        try:
            ids = await self._db.transaction(insert_all)
        except Conflict:
            # A concurrent insert took an email between the check and the insert:
            # name them all, as the check would have.
            await self._db.transaction(lambda session: _refuse_taken_logins(session, data))
            raise
        return [
            User.model_validate({**row, "id": row_id, "version": 1})
            for row, row_id in zip(rows, ids, strict=True)
        ]

    async def get(self, user_id: int) -> User:
        return await self._db.reads.run(_user(user_id), by_key=True)

    async def list(self, query: UserQuery) -> Page[User]:
        def matching(_dialect: str) -> Select[Any]:
            return select(users_table.c.id).where(*where(query, COLUMNS))

        def page(dialect: str) -> Select[Any]:
            statement = select(*SHOWN).where(*where(query, COLUMNS))
            return paged(statement, query, COLUMNS, users_table.c.id, dialect)

        return await self._db.reads.run(page_of(query, matching, page, User.model_validate))

    async def update(self, user_id: int, changes: UserUpdate, expected: str | None = None) -> User:
        async def change(session: AsyncSession) -> User:
            row = await locked_user(session, user_id)
            await update_row(session, row, User.model_validate, expected, USERS, changes)
            return User.model_validate(row)

        try:
            return await self._db.transaction(change)
        except Conflict as exc:
            key = None if changes.email is None else fold(changes.email)
            raise await login_conflict(exc, lambda: self._email_taken(key, user_id)) from None

    async def delete(self, user_id: int, expected: str | None = None) -> None:
        # Posts (and their tag links) go with the user through ON DELETE CASCADE;
        # orders have no foreign key to users and stay as history.
        async def work(session: AsyncSession) -> None:
            row = await locked_user(session, user_id)
            ensure_current(User.model_validate(row), expected)
            picture = row.picture
            await session.execute(delete(UserRow).where(UserRow.id == user_id))
            if picture is not None:
                await drop_if_unused(session, picture)

        await self._db.transaction(work)


def _user(user_id: int) -> Read[User]:
    rows = yield query(USER_BY_ID, id=user_id)
    if not rows:
        raise NotFound(USER_NOT_FOUND)
    return User.model_validate(rows[0])


async def locked_user(session: AsyncSession, user_id: int) -> UserRow:
    """The user's row, locked until the transaction ends. Raises ``NotFound``."""
    return await locked(session, UserRow, user_id, USER_NOT_FOUND)


async def _refuse_taken_logins(session: AsyncSession, data: list[NewUser]) -> None:
    """Raise ``Conflict`` naming every email or username of ``data`` taken or repeated."""
    emails, usernames = login_keys(data)
    taken = select(UserRow.email_key, UserRow.username_key).where(
        or_(UserRow.email_key.in_(set(emails)), UserRow.username_key.in_(set(usernames)))
    )
    rows = (await session.execute(taken)).all()
    conflicts = login_conflicts(
        data, {row.email_key for row in rows}, {row.username_key for row in rows}
    )
    if conflicts:
        raise Conflict(logins_taken(conflicts), details=conflicts)


async def drop_if_unused(session: AsyncSession, digest: str) -> None:
    """Delete picture ``digest`` if no user names it (the users' deletes and changes call it).

    The picture's row is locked first, outside the savepoint: two users who
    share it and drop it at once would otherwise each see the other still
    naming it (neither has committed) and both keep it, stored and unused. The
    second now waits for the first to commit and then sees it gone. A deadlock
    on that lock rolls back the whole transaction (MariaDB takes the savepoints
    with it), so it must surface as itself, for ``Database.transaction`` to retry.
    """
    held = select(pictures_table.c.id).where(pictures_table.c.digest == digest).with_for_update()
    if (await session.execute(held)).first() is None:
        return
    unused = delete(pictures_table).where(
        pictures_table.c.digest == digest,
        ~exists().where(users_table.c.picture == digest),
    )
    try:
        async with session.begin_nested():
            await session.execute(unused)
    except sa_exc.IntegrityError:
        pass  # a concurrent transaction named it and committed first: it stays
