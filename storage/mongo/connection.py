"""Turn ``MONGO_URL`` into a client and a database, real server or test double.

* ``mongodb://`` and ``mongodb+srv://``: ``pymongo.AsyncMongoClient``; the
  database is the URL's path (``mongodb://host/shop`` -> ``shop``), ``app`` if none.
* ``mongomock://`` (optionally ``mongomock://host/dbname``): the in-process test
  double from the ``mongomock`` extra; a fresh, empty store every time, lost on exit.

Building a client does not contact the server; ``Connection.ping`` does.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pymongo import AsyncMongoClient
from pymongo.errors import ConfigurationError, PyMongoError

from storage.errors import Unavailable
from storage.mongo.documents import Database, Document
from storage.mongo.errors import MongoConfigError, describe

logger = logging.getLogger(__name__)

DEFAULT_DATABASE = "app"
SERVER_SELECTION_TIMEOUT_MS = 5_000
"""How long an operation waits for a reachable server before failing as ``Unavailable``."""
MONGOMOCK_INSTALL = "pip install 'dualstore-api[mongomock]'"
_SCHEMES = ("mongodb://", "mongodb+srv://", "mongomock://")


@dataclass(frozen=True)
class Connection:
    """A client, its database, and what kind of server is behind them."""

    client: AsyncMongoClient[Document]
    db: Database
    database: str
    """``"mongodb"`` for a real server, ``"mongomock"`` for the in-process double."""
    where: str
    """The URL's hosts without credentials, for messages."""

    @property
    def is_double(self) -> bool:
        """True for the in-process test double, which lacks some server features."""
        return self.database == "mongomock"

    async def ping(self) -> None:
        """Round-trip to the server; ``Unavailable`` with a message an operator can act on."""
        try:
            await self.db.command("ping")
        except PyMongoError as exc:
            raise Unavailable(
                f"Cannot reach MongoDB at {self.where}: {describe(exc)}. "
                "Check that the server is running and that MONGO_URL is right."
            ) from exc

    async def close(self) -> None:
        """Close the client; PyMongo's ``close`` is a coroutine, the double's is not."""
        result = self.client.close()
        if inspect.isawaitable(result):
            await result


def connect(url: str) -> Connection:
    """Build the client and pick the database named by ``url``, without any I/O.

    Raises ``MongoConfigError`` for a URL that cannot work or a missing extra.
    """
    if not url.lower().startswith(_SCHEMES):
        raise MongoConfigError(
            f"MONGO_URL must start with one of {', '.join(_SCHEMES)}; got {_redact(url)!r}"
        )
    if url.lower().startswith("mongomock://"):
        return _connect_double(url)
    try:
        client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, tz_aware=True, serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS
        )
        db = client.get_default_database(default=DEFAULT_DATABASE)
    except ConfigurationError as exc:  # includes InvalidURI
        raise MongoConfigError(f"Invalid MONGO_URL {_redact(url)!r}: {exc}") from exc
    return Connection(client, db, "mongodb", _hosts(url))


def _connect_double(url: str) -> Connection:
    try:
        from pymongo_async_mock import AsyncMongoMockClient
    except ImportError as exc:
        raise MongoConfigError(
            f"MONGO_URL={url} needs the in-process MongoDB test double: {MONGOMOCK_INSTALL}"
        ) from exc
    name = urlsplit(url).path.strip("/") or DEFAULT_DATABASE
    logger.warning(
        "MONGO_URL=%s: using mongomock, an in-memory MongoDB test double. "
        "Nothing is persisted; every start begins empty. Never use it in production.",
        url,
    )
    # A new client has its own empty store, so every open is isolated.
    client: Any = AsyncMongoMockClient(tz_aware=True)
    return Connection(client, client.get_database(name), "mongomock", "mongomock (in memory)")


def _hosts(url: str) -> str:
    # The part between "//" and the path, minus any "user:password@".
    return urlsplit(url).netloc.rpartition("@")[2] or "localhost"


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    userinfo, at, tail = rest.partition("@")
    if not at or "/" in userinfo:
        return url
    return f"{scheme}{sep}***@{tail}"
