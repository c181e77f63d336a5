"""The baseline's reads on SQL with the bare drivers: aiosqlite, asyncpg, asyncmy.

The same statements on every dialect (only the placeholders differ), in the
shape of the API's: a point read is one statement; a page of posts three (the
count, the page joined with its authors, the page's tags in one query); a
product search two (the count, the page joined with its categories).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosqlite
import asyncmy
import asyncpg  # type: ignore[import-untyped]

from bench.baseline.params import ProductSearch
from bench.baseline.shapes import (
    Json,
    Stamp,
    author_json,
    category_json,
    iso_utc,
    iso_utc_text,
    posts_page,
    product_json,
    products_page,
    user_json,
)
from storage.money import from_cents

POOL_SIZE = 10
"""Connections per pool (PostgreSQL, MariaDB): asyncpg's default, and between
SQLAlchemy's 5 pooled and 15 maximum, so neither side is starved."""

Placeholder = Callable[[int], str]
"""The placeholder of the n-th parameter (from 1) in a dialect's statements."""

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
PRODUCT_COLUMNS = (
    "p.id, p.created_at, p.updated_at, p.name, p.price, p.stock, "
    "c.id, c.created_at, c.updated_at, c.name, c.description"
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
    return posts_page(items, total, skip, limit)


def product_statements(
    search: ProductSearch, placeholder: Placeholder, in_cents: bool
) -> tuple[str, str, list[Any]]:
    """The count and page statements of ``search``, and the filters' parameters.

    The page's statement takes two more parameters: limit, then offset.
    ``in_cents``: the price column holds integer cents (SQLite), not a decimal.
    """
    clauses, values = ["p.deleted_at IS NULL"], []
    for operator, cents in ((">=", search.min_cents), ("<=", search.max_cents)):
        if cents is not None:
            values.append(cents if in_cents else from_cents(cents))
            clauses.append(f"p.price {operator} {placeholder(len(values))}")
    if search.in_stock is not None:
        clauses.append("p.stock > 0" if search.in_stock else "p.stock = 0")
    where = " AND ".join(clauses)
    order = "p.price, p.id" if search.sort == "price" else "p.id"
    count = f"SELECT count(*) FROM products AS p WHERE {where}"
    page = (
        f"SELECT {PRODUCT_COLUMNS} FROM products AS p "
        f"LEFT JOIN categories AS c ON c.id = p.category_id WHERE {where} ORDER BY {order} "
        f"LIMIT {placeholder(len(values) + 1)} OFFSET {placeholder(len(values) + 2)}"
    )
    return count, page, values


def sql_products(
    rows: Iterable[Sequence[Any]],
    total: int,
    search: ProductSearch,
    stamp: Stamp,
    price: Callable[[Any], Decimal],
) -> Json:
    """The API's page of products from the page rows of ``product_statements``."""
    items = [
        product_json(
            row[0],
            row[1],
            row[2],
            row[3],
            price(row[4]),
            row[5],
            None
            if row[6] is None
            else category_json(row[6], row[7], row[8], row[9], row[10], stamp),
            stamp,
        )
        for row in rows
    ]
    return products_page(items, total, search)


def placeholders(marker: str, count: int) -> str:
    """``IN (?, ?, ?)`` for ``count`` values (SQLite, MariaDB: no array parameters)."""
    return f"IN ({', '.join([marker] * count)})"


def _decimal(value: Decimal) -> Decimal:
    return value  # NUMERIC(12, 2) comes back with its two places


class SqliteReads:
    """SQLite through aiosqlite: one connection (one worker thread), WAL mode.

    Booleans come back as 0/1, timestamps as SQLAlchemy's naive-UTC text and
    prices as integer cents (``storage.sql.types.Money``).
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

    async def products(self, search: ProductSearch) -> Json:
        assert self.conn is not None
        count, page, values = product_statements(search, lambda _: "?", in_cents=True)
        ((total,),) = await self.conn.execute_fetchall(count, values)
        rows = await self.conn.execute_fetchall(page, [*values, search.limit, search.skip])
        return sql_products(rows, total, search, iso_utc_text, from_cents)


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

    async def products(self, search: ProductSearch) -> Json:
        assert self.pool is not None
        count, page, values = product_statements(search, lambda n: f"${n}", in_cents=False)
        async with self.pool.acquire() as conn:
            total = await conn.fetchval(count, *values)
            rows = await conn.fetch(page, *values, search.limit, search.skip)
        return sql_products(rows, total, search, iso_utc, _decimal)


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

    async def products(self, search: ProductSearch) -> Json:
        count, page, values = product_statements(search, lambda _: "%s", in_cents=False)
        async with self.pool.acquire() as conn, conn.cursor() as cursor:
            await cursor.execute(count, values)
            ((total,),) = await cursor.fetchall()
            await cursor.execute(page, [*values, search.limit, search.skip])
            rows = await cursor.fetchall()
        return sql_products(rows, total, search, iso_utc, _decimal)
