"""Throw-away databases on a PostgreSQL, MariaDB/MySQL or MongoDB server.

The test suite and the benchmark each create their own database
(``<prefix>_<random>``) and drop it at the end, so runs never see each other's
data and never touch a real one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.sql.engine import create_engine


def unique_name(prefix: str) -> str:
    """A database name no other run uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def sql_database(server_url: str, prefix: str = "test") -> Iterator[str]:
    """Create a fresh database on the server of ``server_url``; yield its URL; drop it."""
    name = unique_name(prefix)
    admin = make_url(server_url)
    dialect = admin.get_backend_name()
    if dialect == "postgresql":
        create, drop = f'CREATE DATABASE "{name}"', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    else:
        create = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        drop = f"DROP DATABASE IF EXISTS `{name}`"
    asyncio.run(_execute_autocommit(server_url, create))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_execute_autocommit(server_url, drop))


async def _execute_autocommit(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def mongo_database(server_url: str, prefix: str = "test") -> Iterator[str]:
    """Point ``server_url`` at a fresh database name; drop that database at the end."""
    from pymongo import MongoClient

    name = unique_name(prefix)
    base, _, query = server_url.partition("?")
    scheme, _, rest = base.partition("://")
    hosts = rest.split("/", 1)[0]
    url = f"{scheme}://{hosts}/{name}" + (f"?{query}" if query else "")
    try:
        yield url
    finally:
        client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=5000)
        try:
            client.drop_database(name)
        finally:
            client.close()
