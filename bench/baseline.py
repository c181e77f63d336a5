"""The "raw driver ceiling": two of the API's reads served with nothing but the driver.

The benchmark measures the API against this app. It does the same work as the
API for these two requests (same queries' shape, same JSON, byte for byte) and
nothing else: no framework, no ORM, no validation models. What the API costs on
top of this is the price of FastAPI, pydantic and SQLAlchemy.

* ``GET /users/{id}``: 200 with the user, 404 ``{"detail":"User not found"}``.
* ``GET /posts?limit=N&skip=S``: a page of published posts ordered by id, each with its
  tags (sorted names) and its author embedded; ``limit`` 1-100 (default 20),
  ``skip`` >= 0 (default 0). A page costs three queries at any size, as in the
  API: the count, the page (joined with the authors on SQL) and the page's tags
  (SQL) or authors (MongoDB) in one batched query.
* Anything else: 404 ``{"detail":"Not Found"}``; an invalid ``limit``/``skip``: 422.

Run it with ``BENCH_BASELINE_URL`` set to the database the API uses (``sqlite:///``,
``postgresql://``, ``mysql://``/``mariadb://`` or ``mongodb://host/db``)::

    BENCH_BASELINE_URL=sqlite:///./app.db uvicorn --factory bench.baseline:create_baseline_app

The database must already hold the API's schema (``python -m api migrate``).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import aiosqlite
import asyncmy
import asyncpg  # type: ignore[import-untyped]
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from api.pagination import Cursors
from api.settings import Settings
from storage.types import PostQuery
from storage.types.pictures import picture_url

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Json = dict[str, Any]
Document = dict[str, Any]
Stamp = Callable[[Any], str]
"""Turns a timestamp as a driver returns it into its JSON string."""

URL_VARIABLE = "BENCH_BASELINE_URL"
MAX_ID = 2**31 - 1  # the API's id range (storage.types.MAX_ID): larger ids are not ids
MAX_SKIP = 10_000_000  # the API's bound on skip (storage.types.common.MAX_SKIP)
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
POOL_SIZE = 10
"""Connections per pool (PostgreSQL, MariaDB): asyncpg's default, and between
SQLAlchemy's 5 pooled and 15 maximum, so neither side is starved."""

# --- JSON ---------------------------------------------------------------------

# One encoder built once: json.dumps with non-default options builds a new one per call.
# Compact and UTF-8 like FastAPI's output, so the bytes on the wire match too.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def iso_utc(value: datetime) -> str:
    """A UTC timestamp as the API writes it: ISO 8601, milliseconds, ``Z``.

    A naive value is UTC (SQLite, MariaDB and PyMongo without ``tz_aware``
    store and return naive UTC).
    """
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def iso_utc_text(value: str) -> str:
    """A SQLite timestamp (SQLAlchemy's naive-UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    return iso_utc(datetime.fromisoformat(value))


def user_json(row: Sequence[Any], stamp: Stamp) -> Json:
    """The API's public user object (what anyone reads) from the ``USER_COLUMNS``.

    Keys in the order of ``storage.types.UserPublic`` (id and timestamps first);
    ``bool()`` because SQLite and MariaDB return booleans as 0/1.
    """
    return {
        "id": row[0],
        "created_at": stamp(row[1]),
        "updated_at": stamp(row[2]),
        "username": row[3],
        "name": row[4],
        "age": row[5],
        "city": row[6],
        "is_active": bool(row[7]),
        "image_url": picture_url(row[8]),
    }


def user_document_json(doc: Document) -> Json:
    """The API's public user object from a MongoDB user document."""
    return {
        "id": doc["_id"],
        "created_at": iso_utc(doc["created_at"]),
        "updated_at": iso_utc(doc["updated_at"]),
        "username": doc["username"],
        "name": doc["name"],
        "age": doc["age"],
        "city": doc["city"],
        "is_active": doc["is_active"],
        "image_url": picture_url(doc["picture"]),
    }


def author_json(user_id: int, username: str, name: str, picture: str | None) -> Json:
    """A post's author as the API embeds it: who, not how to reach them, and their picture."""
    return {"id": user_id, "username": username, "name": name, "image_url": picture_url(picture)}


# The API's cursor for the next page: the same signature work the API does.
@functools.cache
def _cursors() -> Cursors:
    # The key the API's settings give in this environment (the bench sets it for both).
    return Cursors(Settings().signing_key().encode())


def page_json(items: list[Json], total: int, skip: int, limit: int) -> Json:
    """The API's page envelope, with the cursor of the next page when there is one."""
    cursor = None
    if items and skip + limit < total:
        query = PostQuery(skip=skip, limit=limit)
        cursor = _cursors().encode("/posts", query, SimpleNamespace(id=items[-1]["id"]))
    return {"items": items, "total": total, "skip": skip, "limit": limit, "next_cursor": cursor}


# --- SQL ------------------------------------------------------------------------

# The same statements on every dialect; only the placeholders differ ({} below).
USER_COLUMNS = "id, created_at, updated_at, username, name, age, city, is_active, picture"
USER_SQL = f"SELECT {USER_COLUMNS} FROM users WHERE id = {{}}"
# Anonymous readers see published posts only (drafts are their authors' and admins').
COUNT_SQL = "SELECT count(*) FROM posts WHERE published = true"
# The page's ids picked from posts alone, then the authors joined to them: the
# API's statement shape (joining first makes MariaDB sort every post).
PAGE_SQL = (
    "SELECT p.id, p.created_at, p.updated_at, p.title, p.content, p.published, "
    "u.id, u.username, u.name, u.picture "
    "FROM (SELECT id FROM posts WHERE published = true ORDER BY id LIMIT {} OFFSET {}) AS page "
    "JOIN posts AS p ON p.id = page.id JOIN users AS u ON u.id = p.author_id "
    "ORDER BY p.id"
)
# The page's tags in one query, as the API does (it sorts the names itself, by
# code point; for the benchmark's ASCII tags the database's order is the same).
TAGS_SQL = (
    "SELECT pt.post_id, t.name FROM post_tags AS pt JOIN tags AS t ON t.id = pt.tag_id "
    "WHERE pt.post_id {} ORDER BY t.name"
)


def sql_page(
    rows: Iterable[Sequence[Any]],
    tags: Iterable[Sequence[Any]],
    total: int,
    skip: int,
    limit: int,
    stamp: Stamp,
) -> Json:
    """The API's page of posts from the page rows (``PAGE_SQL``) and tag rows (``TAGS_SQL``)."""
    names: dict[int, list[str]] = {}
    for post_id, name in tags:
        names.setdefault(post_id, []).append(name)
    items = [
        {
            "id": row[0],
            "created_at": stamp(row[1]),
            "updated_at": stamp(row[2]),
            "title": row[3],
            "content": row[4],
            "published": bool(row[5]),
            "tags": names.get(row[0], []),
            "author": author_json(row[6], row[7], row[8], row[9]),
        }
        for row in rows
    ]
    return page_json(items, total, skip, limit)


def placeholders(marker: str, count: int) -> str:
    """``IN (?, ?, ?)`` for ``count`` values (SQLite, MariaDB: no array parameters)."""
    return f"IN ({', '.join([marker] * count)})"


class Reads(Protocol):
    """The two reads on one database, opened and closed by the ASGI lifespan."""

    async def open(self) -> None:
        """Connect (a pool, or one connection)."""

    async def close(self) -> None:
        """Disconnect."""

    async def user(self, user_id: int) -> Json | None:
        """The user with ``user_id`` as JSON-ready data, or None."""

    async def posts(self, skip: int, limit: int) -> Json:
        """A page of posts as JSON-ready data."""


class SqliteReads:
    """SQLite through aiosqlite: one connection (one worker thread), WAL mode.

    Booleans come back as 0/1 and timestamps as SQLAlchemy's naive-UTC text.
    """

    def __init__(self, url: str) -> None:
        # sqlite:///relative.db or sqlite:////absolute.db, as SQLAlchemy reads it.
        self.path = url.split("?", 1)[0].split(":///", 1)[1]
        self.conn: aiosqlite.Connection | None = None

    async def open(self) -> None:
        # isolation_level=None: no implicit transactions, every read sees the latest commit.
        self.conn = await aiosqlite.connect(self.path, timeout=30, isolation_level=None)
        # WAL: readers never wait for a writer (the API sets it too; it persists).
        await self.conn.execute("PRAGMA journal_mode = WAL")

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()

    async def user(self, user_id: int) -> Json | None:
        assert self.conn is not None
        rows = list(await self.conn.execute_fetchall(USER_SQL.format("?"), (user_id,)))
        return user_json(rows[0], iso_utc_text) if rows else None

    async def posts(self, skip: int, limit: int) -> Json:
        assert self.conn is not None
        ((total,),) = await self.conn.execute_fetchall(COUNT_SQL)
        rows = list(await self.conn.execute_fetchall(PAGE_SQL.format("?", "?"), (limit, skip)))
        ids = [row[0] for row in rows]
        tags = (
            await self.conn.execute_fetchall(TAGS_SQL.format(placeholders("?", len(ids))), ids)
            if ids
            else []
        )
        return sql_page(rows, tags, total, skip, limit, iso_utc_text)


class PostgresReads:
    """PostgreSQL through an asyncpg pool (prepared statements cached per connection).

    Timestamps come back as aware UTC datetimes (timestamptz).
    """

    def __init__(self, url: str) -> None:
        # asyncpg wants the plain scheme: drop a SQLAlchemy "+driver" suffix.
        scheme, rest = url.split("://", 1)
        self.dsn = f"postgresql://{rest}" if scheme.startswith("postgres") else url
        self.pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(self.dsn, min_size=POOL_SIZE, max_size=POOL_SIZE)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def user(self, user_id: int) -> Json | None:
        assert self.pool is not None
        row = await self.pool.fetchrow(USER_SQL.format("$1"), user_id)
        return user_json(row, iso_utc) if row is not None else None

    async def posts(self, skip: int, limit: int) -> Json:
        assert self.pool is not None
        async with self.pool.acquire() as conn:
            total = await conn.fetchval(COUNT_SQL)
            rows = await conn.fetch(PAGE_SQL.format("$1", "$2"), limit, skip)
            ids = [row[0] for row in rows]
            # One array parameter: one prepared statement whatever the page size.
            tags = await conn.fetch(TAGS_SQL.format("= ANY($1::int[])"), ids) if ids else []
        return sql_page(rows, tags, total, skip, limit, iso_utc)


class MysqlReads:
    """MariaDB/MySQL through an asyncmy pool (text protocol, as SQLAlchemy uses it).

    Booleans come back as 0/1 and timestamps as naive UTC datetimes (DATETIME(3)).
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.connect_kwargs: dict[str, Any] = {
            "host": parts.hostname or "localhost",
            "port": parts.port or 3306,
            "user": unquote(parts.username or "root"),
            "password": unquote(parts.password or ""),
            "database": parts.path.lstrip("/"),
            "charset": "utf8mb4",
            # Each statement its own transaction: a pooled connection left inside a
            # REPEATABLE READ transaction would keep reading an old snapshot.
            "autocommit": True,
        }
        self.pool: Any = None  # asyncmy.Pool

    async def open(self) -> None:
        self.pool = await asyncmy.create_pool(
            minsize=POOL_SIZE, maxsize=POOL_SIZE, **self.connect_kwargs
        )

    async def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            await self.pool.wait_closed()

    async def user(self, user_id: int) -> Json | None:
        async with self.pool.acquire() as conn, conn.cursor() as cursor:
            await cursor.execute(USER_SQL.format("%s"), (user_id,))
            row = await cursor.fetchone()
        return user_json(row, iso_utc) if row is not None else None

    async def posts(self, skip: int, limit: int) -> Json:
        async with self.pool.acquire() as conn, conn.cursor() as cursor:
            await cursor.execute(COUNT_SQL)
            ((total,),) = await cursor.fetchall()
            await cursor.execute(PAGE_SQL.format("%s", "%s"), (limit, skip))
            rows = await cursor.fetchall()
            ids = [row[0] for row in rows]
            tags: Sequence[Sequence[Any]] = ()
            if ids:
                await cursor.execute(TAGS_SQL.format(placeholders("%s", len(ids))), ids)
                tags = await cursor.fetchall()
        return sql_page(rows, tags, total, skip, limit, iso_utc)


# --- MongoDB --------------------------------------------------------------------


class MongoReads:
    """MongoDB through PyMongo's async client, on the API's documents.

    users ``{_id, name, email, age, city, is_active, picture, created_at, updated_at}``;
    posts ``{_id, title, content, published, tags, author_id, created_at,
    updated_at}`` with ``tags`` stored already sorted. Datetimes come back naive
    UTC (no ``tz_aware``: the same instant, less work).
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        self.client: AsyncMongoClient[Document] | None = None
        self.db: AsyncDatabase[Document] | None = None

    @classmethod
    def on_database(cls, db: Any) -> MongoReads:
        """Reads on an already open database (e.g. the in-process double); not closed here."""
        reads = cls()
        reads.db = db
        return reads

    async def open(self) -> None:
        if self.url is not None:
            self.client = AsyncMongoClient(self.url)
            self.db = self.client.get_default_database(default="app")

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    async def user(self, user_id: int) -> Json | None:
        assert self.db is not None
        doc = await self.db["users"].find_one({"_id": user_id})
        return user_document_json(doc) if doc is not None else None

    async def posts(self, skip: int, limit: int) -> Json:
        assert self.db is not None
        posts, users = self.db["posts"], self.db["users"]
        published = {"published": True}  # drafts are their authors' and admins' only
        docs = await posts.find(published).sort("_id", 1).skip(skip).limit(limit).to_list()
        total = await posts.count_documents(published)
        # Every author of the page in one $in query (the API's find_by_ids).
        author_ids = sorted({doc["author_id"] for doc in docs})
        found = await users.find({"_id": {"$in": author_ids}}).to_list() if author_ids else []
        authors = {
            author["_id"]: author_json(
                author["_id"], author["username"], author["name"], author["picture"]
            )
            for author in found
        }
        items = [
            {
                "id": doc["_id"],
                "created_at": iso_utc(doc["created_at"]),
                "updated_at": iso_utc(doc["updated_at"]),
                "title": doc["title"],
                "content": doc["content"],
                "published": doc["published"],
                "tags": doc["tags"],
                "author": authors[doc["author_id"]],
            }
            for doc in docs
            # A post whose author just vanished is being deleted with them (as the API does).
            if doc["author_id"] in authors
        ]
        return page_json(items, total, skip, limit)


def reads_for(url: str) -> Reads:
    """The reads for the database ``url`` names (a SQLAlchemy ``+driver`` suffix is allowed)."""
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme == "sqlite":
        return SqliteReads(url)
    if scheme in ("postgresql", "postgres"):
        return PostgresReads(url)
    if scheme in ("mysql", "mariadb"):
        return MysqlReads(url)
    if scheme == "mongodb":  # mongodb:// and mongodb+srv://
        return MongoReads(url)
    raise ValueError(
        f"{URL_VARIABLE}: unsupported scheme in {url!r}; "
        "use sqlite://, postgresql://, mysql://, mariadb:// or mongodb://"
    )


# --- HTTP -----------------------------------------------------------------------

NOT_FOUND = (404, {"detail": "Not Found"})
USER_NOT_FOUND = (404, {"detail": "User not found"})


def _integer(text: str | None, default: int, low: int, high: int) -> int | None:
    """``text`` as an integer in ``low..high``, ``default`` if absent, None if invalid."""
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


async def _route(reads: Reads, scope: Scope) -> tuple[int, Json]:
    """Status and body for one request."""
    if scope["method"] != "GET":
        return NOT_FOUND
    path: str = scope["path"]
    if path == "/posts":
        params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        limit = _integer(params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
        skip = _integer(params.get("skip"), 0, 0, MAX_SKIP)
        if limit is None or skip is None:
            return 422, {"detail": f"limit must be 1-{MAX_LIMIT}, skip 0-{MAX_SKIP}"}
        return 200, await reads.posts(skip, limit)
    if path.startswith("/users/"):
        user_id = _integer(path[len("/users/") :], 0, 1, MAX_ID)
        if user_id is None:  # not an id: the API says 422, this app knows no such route
            return NOT_FOUND
        user = await reads.user(user_id)
        return (200, user) if user is not None else USER_NOT_FOUND
    return NOT_FOUND


async def _lifespan(reads: Reads, receive: Receive, send: Send) -> None:
    """Open the driver on ``lifespan.startup``, close it on ``lifespan.shutdown``."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await reads.open()
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await reads.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


def baseline_app(reads: Reads) -> ASGIApp:
    """The ASGI app serving ``reads``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(reads, receive, send)
            return
        if scope["type"] != "http":
            return  # websockets: not served
        status, payload = await _route(reads, scope)
        body = _encode(payload).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def create_baseline_app() -> ASGIApp:
    """The app on the database named by ``BENCH_BASELINE_URL`` (``uvicorn --factory``)."""
    url = os.environ.get(URL_VARIABLE)
    if not url:
        raise RuntimeError(f"{URL_VARIABLE} is not set (e.g. sqlite:///./app.db)")
    return baseline_app(reads_for(url))
