"""Alembic, driven from code: upgrade to head, or check that a database is at head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.errors import NotMigrated
from storage.sql.engine import create_engine
from storage.sql.errors import translate_errors

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at this package's migrations.

    With ``connection``, env.py migrates through it instead of opening its own.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade_to_head(engine: AsyncEngine, target: str = "head") -> str:
    """Apply every pending migration (up to ``target``); returns the revision now current.

    On SQLite, ``engine`` must have foreign keys off (``migration_engine``):
    batch mode rebuilds a table by copying it and dropping the original, and
    with foreign keys on that drop would cascade into the rows referring to it.
    The references are checked once the migration is done instead.
    """

    def upgrade(connection: Connection) -> str:
        command.upgrade(alembic_config(connection), target)
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"migration left rows with broken references: {broken[:5]}")
        return MigrationContext.configure(connection).get_current_revision() or "base"

    with translate_errors():
        async with engine.begin() as conn:
            return await conn.run_sync(upgrade)


def migration_engine(url: str) -> AsyncEngine:
    """An engine to migrate ``url`` with: one connection, SQLite foreign keys off."""
    return create_engine(url, sqlite_foreign_keys=False)


async def check_at_head(engine: AsyncEngine) -> None:
    """Raise ``NotMigrated`` unless the database is at the newest revision."""

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with translate_errors():
        async with engine.connect() as conn:
            revision = await conn.run_sync(current)
    if revision != head:
        found = f"at revision {revision}" if revision else "empty"
        raise NotMigrated(
            f"SQL schema is {found}, this code needs {head}: run `python -m api migrate`"
        )
