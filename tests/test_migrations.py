"""The Alembic migrations build exactly the schema the ORM models describe.

On PostgreSQL also: a deployment's own role, without superuser, migrates the
database it owns (migration 0008 creates the ``pg_trgm`` extension), and a
role that may not create it is told what to run instead.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from bench.databases import unique_name
from storage.errors import StorageError
from storage.factory import migrate_storage
from storage.sql.engine import create_engine
from storage.sql.indexes import include_object
from storage.sql.tables import Base
from tests.conftest import SQL_CASES


def on_connection[T](url: str, read: Callable[[Connection], T]) -> T:
    """``read(connection)`` on a synchronous connection to ``url`` (for inspection)."""

    async def run() -> T:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(read)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def schema_differences(url: str) -> list[object]:
    def compare(connection: Connection) -> list[object]:
        options = {"compare_type": True, "include_object": include_object(connection.dialect.name)}
        context = MigrationContext.configure(connection, opts=options)
        return list(compare_metadata(context, Base.metadata))

    return on_connection(url, compare)


@pytest.mark.parametrize("case_id", [c.id for c in SQL_CASES])
def test_migrated_schema_matches_models(case_id: str, database_urls: dict[str, str]) -> None:
    assert schema_differences(database_urls[case_id]) == []


@contextmanager
def role_and_database(server_url: str, *, owner: bool) -> Iterator[str]:
    """A fresh login role without superuser and a database (owned by it, or not); its URL.

    Not the owner, the role gets only what a DBA would grant an application
    to create its tables: CONNECT, and CREATE on the ``public`` schema.
    """
    role, name = unique_name("app"), unique_name("test")
    database_owner = f' OWNER "{role}"' if owner else ""
    statements = [
        f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE',
        f'CREATE DATABASE "{name}"{database_owner}',
    ]
    execute(server_url, statements)
    database = make_url(server_url).set(database=name)
    if not owner:
        grant = f'GRANT CREATE ON SCHEMA public TO "{role}"'
        execute(database.render_as_string(hide_password=False), [grant])
    try:
        yield database.set(username=role).render_as_string(hide_password=False)
    finally:
        drop = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{role}"']
        execute(server_url, drop)


def execute(url: str, statements: list[str]) -> None:
    async def run() -> None:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                for statement in statements:
                    await conn.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
if POSTGRES_URL:  # defined only where PostgreSQL is, so never a skip

    def test_postgresql_migrates_as_a_database_owner_without_superuser() -> None:
        # Migration 0008 creates pg_trgm, a trusted extension: the owner needs no more.
        assert POSTGRES_URL is not None
        with role_and_database(POSTGRES_URL, owner=True) as url:
            asyncio.run(migrate_storage("sql", database_url=url, mongo_url=""))
            assert schema_differences(url) == []

    def test_a_role_that_cannot_create_the_extension_is_told_what_to_run() -> None:
        assert POSTGRES_URL is not None
        refused = pytest.raises(StorageError, match='"CREATE EXTENSION pg_trgm" in this database')
        with role_and_database(POSTGRES_URL, owner=False) as url, refused:
            asyncio.run(migrate_storage("sql", database_url=url, mongo_url=""))
