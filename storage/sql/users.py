"""Users on SQL."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select

from storage.errors import NotFound
from storage.messages import USER_NOT_FOUND
from storage.sql.database import Database, lock_row
from storage.sql.queries import columns_of, count, order_by, shown, where
from storage.sql.tables import UserRow, users_table
from storage.types import USERS, Page, User, UserCreate, UserQuery, UserUpdate, utc_now

SHOWN = shown(users_table)
# Built once: constructing and cache-keying a statement per request is measurable.
USER_BY_ID = select(*SHOWN).where(users_table.c.id == bindparam("id"))
COLUMNS = columns_of(users_table)


class SqlUserStore:
    """``storage.protocol.UserStore`` on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, data: UserCreate) -> User:
        now = utc_now()
        row = UserRow(**USERS.with_keys(data.model_dump()), created_at=now, updated_at=now)
        async with self._db.write() as session:
            session.add(row)
            await session.flush()
        return User.model_validate(row)

    async def get(self, user_id: int) -> User:
        async with self._db.read() as conn:
            result = await conn.execute(USER_BY_ID, {"id": user_id})
            row = result.mappings().first()
        if row is None:
            raise NotFound(USER_NOT_FOUND)
        return User.model_validate(row)

    async def list(self, query: UserQuery) -> Page[User]:
        statement = select(*SHOWN).where(*where(query, COLUMNS))
        async with self._db.read() as conn:
            total = await count(conn, statement)
            statement = order_by(statement, query, COLUMNS, users_table.c.id, self._db.dialect)
            result = await conn.execute(statement.offset(query.skip).limit(query.limit))
            items = [User.model_validate(row) for row in result.mappings()]
        return Page(items=items, total=total, skip=query.skip, limit=query.limit)

    async def update(self, user_id: int, changes: UserUpdate) -> User:
        async with self._db.write() as session:
            await lock_row(session, UserRow.id, user_id)
            row = await session.get(UserRow, user_id)
            if row is None:
                raise NotFound(USER_NOT_FOUND)
            fields = USERS.with_keys(changes.changes())
            if fields:
                for name, value in fields.items():
                    setattr(row, name, value)
                row.updated_at = utc_now()
                await session.flush()
        return User.model_validate(row)

    async def delete(self, user_id: int) -> None:
        # Posts (and their tag links) go with the user through ON DELETE CASCADE.
        async with self._db.write() as session:
            result = await session.execute(delete(UserRow).where(UserRow.id == user_id))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(USER_NOT_FOUND)
