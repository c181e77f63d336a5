"""Turn ``MONGO_URL`` into a client and a database: a MongoDB server, or the embedded stand-in.

* ``mongodb://`` and ``mongodb+srv://``: ``pymongo.AsyncMongoClient``; the
  database is the URL's path (``mongodb://host/shop`` -> ``shop``), ``app`` if none.
* ``mongoeco://`` (memory) or ``mongoeco:///./app-mongo.db`` (a SQLite file that
  survives restarts): a mongoeco wire server started in this process on a
  loopback port (``storage.mongo.standin``), reached through the same
  ``AsyncMongoClient`` over TCP. For development only; the database is ``app``.

Building a connection does not contact the server; ``Connection.ping`` does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pymongo import AsyncMongoClient
from pymongo.errors import ConfigurationError, PyMongoError

from storage.errors import Unavailable
from storage.mongo import standin
from storage.mongo.causal import WriteTimes
from storage.mongo.documents import Database, Document
from storage.mongo.errors import MongoConfigError, describe
from storage.mongo.instrumentation import CommandTimer, PoolTally
from storage.timeouts import Timeouts

logger = logging.getLogger(__name__)

DEFAULT_DATABASE = "app"
SCHEMES = ("mongodb://", "mongodb+srv://", standin.SCHEME)


@dataclass
class Connection:
    """A client, its database, and what kind of server is behind them."""

    client: AsyncMongoClient[Document]
    db: Database
    where: str
    """The URL's hosts without credentials, for messages."""
    embedded: standin.EmbeddedServer | None = None
    """The stand-in server this process started for a ``mongoeco://`` URL."""
    pools: PoolTally | None = None
    """The client's connection counts (``storage.instrumentation``)."""
    is_standin: bool = field(default=False)
    """Whether the server is mongoeco rather than MongoDB (known after ``ping``)."""

    @property
    def database(self) -> str:
        """``"mongodb"``, or ``"mongoeco"`` for the stand-in (never presented as MongoDB)."""
        return "mongoeco" if self.is_standin else "mongodb"

    async def ping(self) -> None:
        """Round-trip to the server and learn what it is; ``Unavailable`` with a fix if none."""
        try:
            hello: dict[str, Any] = await self.db.command("hello")
        except PyMongoError as exc:
            raise Unavailable(
                f"Cannot reach MongoDB at {self.where}: {describe(exc)}. "
                "Check that the server is running and that MONGO_URL is right."
            ) from exc
        self.is_standin = standin.is_standin(hello)

    async def close(self) -> None:
        """Close the client, and stop the embedded server if this connection started one."""
        await self.client.close()
        if self.embedded is not None:
            self.embedded.stop()


def connect(url: str, timeouts: Timeouts | None = None) -> Connection:
    """Build the client and pick the database named by ``url``.

    ``timeouts`` bound every operation (``storage.timeouts``); without them
    (migrations) only finding a server is bounded, so a long step is never cut.
    Only a ``mongoeco://`` URL does I/O here (it starts the embedded server).
    Raises ``MongoConfigError`` for a URL that cannot work or a missing extra.
    """
    if not url.lower().startswith(SCHEMES):
        raise MongoConfigError(
            f"MONGO_URL must start with one of {', '.join(SCHEMES)}; got {_redact(url)!r}"
        )
    if standin.is_embedded_url(url):
        return _connect_embedded(url, timeouts)
    try:
        client, pools = _client(url, timeouts)
        db = client.get_default_database(default=DEFAULT_DATABASE)
    except ConfigurationError as exc:  # includes InvalidURI
        raise MongoConfigError(f"Invalid MONGO_URL {_redact(url)!r}: {exc}") from exc
    return Connection(client, db, _hosts(url), pools=pools)


def _client(url: str, timeouts: Timeouts | None) -> tuple[AsyncMongoClient[Document], PoolTally]:
    """The client, with timeouts and the instrumentation hook's listeners."""
    if timeouts is None:
        options: dict[str, Any] = {"serverSelectionTimeoutMS": round(Timeouts().connect * 1000)}
    else:
        options = client_timeouts(timeouts)
    if "w" not in _url_options(url):
        # Acknowledged by a majority unless the URL says otherwise (storage.mongo.causal).
        options["w"] = "majority"
    pools = PoolTally(size=None)
    listeners = [CommandTimer(), pools, WriteTimes()]
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        url, tz_aware=True, event_listeners=listeners, **options
    )
    pools.counter.size = int(client.options.pool_options.max_pool_size)
    return client, pools


def _url_options(url: str) -> set[str]:
    """The names of the options written in ``url``, lower-cased (URI options ignore case).

    Read from the text: parsing a ``mongodb+srv://`` URL with PyMongo would look
    its hosts up in DNS, and building a connection does no I/O.
    """
    return {name.lower() for name in parse_qs(urlsplit(url).query)}


def client_timeouts(timeouts: Timeouts) -> dict[str, Any]:
    """PyMongo's options for ``timeouts``.

    ``timeoutMS`` is the client-side operation timeout (CSOT): one deadline
    for server selection, pool checkout, every round trip and PyMongo's own
    retries, also sent to the server as ``maxTimeMS`` so it stops working
    when the client stops waiting. It replaces ``socketTimeoutMS`` and
    ``waitQueueTimeoutMS``, which PyMongo ignores once it is set.
    """
    return {
        "timeoutMS": round(timeouts.operation * 1000),
        "connectTimeoutMS": round(timeouts.connect * 1000),
        "serverSelectionTimeoutMS": round(timeouts.connect * 1000),
    }


def _connect_embedded(url: str, timeouts: Timeouts | None) -> Connection:
    path = standin.embedded_path(url)
    server = standin.EmbeddedServer(path)
    try:
        server_url = server.start()
    except RuntimeError as exc:
        raise MongoConfigError(str(exc)) from exc
    where = f"embedded mongoeco ({path or 'in memory'})"
    logger.warning(
        "MONGO_URL=%s: serving from %s, a MongoDB-wire stand-in for development and "
        "tests, not MongoDB; %s. Never use it in production.",
        url,
        where,
        "nothing persists across restarts" if path is None else f"data kept in {path}",
    )
    client, pools = _client(server_url, timeouts)
    return Connection(client, client[DEFAULT_DATABASE], where, embedded=server, pools=pools)


def _hosts(url: str) -> str:
    # The part between "//" and the path, minus any "user:password@".
    return urlsplit(url).netloc.rpartition("@")[2] or "localhost"


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    userinfo, at, tail = rest.partition("@")
    if not at or "/" in userinfo:
        return url
    return f"{scheme}{sep}***@{tail}"
