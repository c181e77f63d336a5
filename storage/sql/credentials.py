"""Account credentials on SQL: what login and token checks read, and password changes."""

from __future__ import annotations

from sqlalchemy import or_, select, update

from storage.errors import NotFound
from storage.messages import USER_NOT_FOUND
from storage.sql.database import Database
from storage.sql.tables import UserRow, users_table
from storage.types import Credentials, utc_now
from storage.types.text import fold

USERS = users_table
CREDENTIALS = select(
    USERS.c.id,
    USERS.c.username,
    USERS.c.role,
    USERS.c.is_active,
    USERS.c.password_hash,
    USERS.c.token_version,
)


class SqlCredentialStore:
    """``storage.protocol.CredentialStore`` on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def by_login(self, login: str) -> Credentials | None:
        key = fold(login.strip())
        statement = CREDENTIALS.where(or_(USERS.c.username_key == key, USERS.c.email_key == key))
        # From the primary: an account signed up a moment ago can log in.
        async with self._db.read(fresh=True) as conn:
            row = (await conn.execute(statement.limit(1))).mappings().first()
        return None if row is None else Credentials.model_validate(row)

    async def by_id(self, user_id: int) -> Credentials | None:
        async with self._db.read() as conn:
            row = (await conn.execute(CREDENTIALS.where(USERS.c.id == user_id))).mappings().first()
        return None if row is None else Credentials.model_validate(row)

    async def set_password(self, user_id: int, password_hash: str) -> None:
        async with self._db.write() as session:
            result = await session.execute(
                update(UserRow)
                .where(UserRow.id == user_id)
                .values(
                    password_hash=password_hash,
                    token_version=UserRow.token_version + 1,
                    version=UserRow.version + 1,
                    updated_at=utc_now(),
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(USER_NOT_FOUND)
