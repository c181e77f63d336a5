"""Account credentials on SQL: what login and token checks read, and password changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import NotFound
from storage.messages import USER_NOT_FOUND
from storage.sql.database import Database
from storage.sql.prepared import Read, query
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
# Every signed-in request reads its caller's credentials: built once.
CREDENTIALS_BY_ID = CREDENTIALS.where(USERS.c.id == bindparam("id"))
CREDENTIALS_BY_LOGIN = CREDENTIALS.where(
    or_(USERS.c.username_key == bindparam("key"), USERS.c.email_key == bindparam("key"))
).limit(1)


def _credentials(statement: Any, **values: Any) -> Read[Credentials | None]:
    rows = yield query(statement, **values)
    return Credentials.model_validate(rows[0]) if rows else None


class SqlCredentialStore:
    """``storage.protocol.CredentialStore`` on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def by_login(self, login: str) -> Credentials | None:
        key = fold(login.strip())
        # From the primary: an account signed up a moment ago can log in.
        return await self._db.fresh.run(_credentials(CREDENTIALS_BY_LOGIN, key=key), by_key=True)

    async def by_id(self, user_id: int) -> Credentials | None:
        return await self._db.reads.run(_credentials(CREDENTIALS_BY_ID, id=user_id), by_key=True)

    async def set_password(self, user_id: int, password_hash: str) -> None:
        async def change(session: AsyncSession) -> None:
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

        await self._db.transaction(change)
