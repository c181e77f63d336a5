"""Account credentials on MongoDB: what login and token checks read, and password changes."""

from __future__ import annotations

from pymongo import ReadPreference

from storage.errors import NotFound
from storage.messages import USER_NOT_FOUND
from storage.mongo.documents import USERS, Document
from storage.mongo.runner import Runner
from storage.types import Credentials, utc_now
from storage.types.text import fold

FIELDS: Document = {
    "username": 1,
    "role": 1,
    "is_active": 1,
    "password_hash": 1,
    "token_version": 1,
}


def _credentials(doc: Document | None) -> Credentials | None:
    return None if doc is None else Credentials(id=doc["_id"], **{k: doc[k] for k in FIELDS})


class MongoCredentialStore:
    """``storage.protocol.CredentialStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._users = runner.db[USERS]
        self._primary_users = self._users.with_options(read_preference=ReadPreference.PRIMARY)

    async def by_login(self, login: str) -> Credentials | None:
        key = fold(login.strip())
        match = {"$or": [{"username_key": key}, {"email_key": key}]}
        # From the primary: an account signed up a moment ago can log in.
        return _credentials(
            await self._run.fresh(
                lambda session: self._primary_users.find_one(match, FIELDS, session=session)
            )
        )

    async def by_id(self, user_id: int) -> Credentials | None:
        return _credentials(
            await self._run.run(lambda: self._users.find_one({"_id": user_id}, FIELDS))
        )

    async def set_password(self, user_id: int, password_hash: str) -> None:
        change = {
            "$set": {"password_hash": password_hash, "updated_at": utc_now()},
            "$inc": {"token_version": 1, "version": 1},
        }
        result = await self._run.run(lambda: self._users.update_one({"_id": user_id}, change))
        if result.matched_count == 0:
            raise NotFound(USER_NOT_FOUND)
