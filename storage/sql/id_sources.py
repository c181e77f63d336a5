"""Where each dialect keeps the last id it handed out, and how to move it forward.

Inserting rows with explicit ids moves the id source by itself on SQLite
(``sqlite_sequence``, kept because tables are ``AUTOINCREMENT``) and on
MariaDB/MySQL (``AUTO_INCREMENT``), but not on PostgreSQL, whose sequence
stays where it was. A copy also wants more than "past the highest row": if
the newest user was deleted, its id must not be given again (orders still
name it), so the source store's position is carried over as well.
"""

from __future__ import annotations

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection


async def last_issued(conn: AsyncConnection, table: Table) -> int:
    """The last id ``table``'s id source handed out (0 if none yet)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        # NULL until the sequence is first used (or after setval(..., false)).
        statement = text(
            "SELECT coalesce(pg_sequence_last_value("
            "CAST(pg_get_serial_sequence(:table, 'id') AS regclass)), 0)"
        )
        return int((await conn.execute(statement, {"table": table.name})).scalar_one())
    if dialect == "mysql":
        if not conn.dialect.is_mariadb:  # type: ignore[attr-defined]
            # MySQL 8 caches information_schema statistics for a day by default.
            await conn.execute(text("SET SESSION information_schema_stats_expiry = 0"))
        statement = text(
            "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table"
        )
        following = (await conn.execute(statement, {"table": table.name})).scalar_one_or_none()
        return max(int(following or 1) - 1, 0)
    statement = text("SELECT seq FROM sqlite_sequence WHERE name = :table")
    return int((await conn.execute(statement, {"table": table.name})).scalar_one_or_none() or 0)


async def move_past(conn: AsyncConnection, table: Table, last: int) -> None:
    """Make ``table``'s next generated id ``last + 1`` or more; never move it back.

    The caller has checked that ``last`` is ahead of ``last_issued``.
    """
    if last < 1:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        statement = text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last)")
        await conn.execute(statement, {"table": table.name, "last": last})
    elif dialect == "mysql":
        # DDL takes no bound parameters; both parts are ours (a table object, an int).
        # InnoDB never sets it below the highest stored id + 1.
        await conn.execute(text(f"ALTER TABLE `{table.name}` AUTO_INCREMENT = {int(last) + 1}"))
    else:
        # sqlite_sequence is an ordinary table that SQLite documents as writable;
        # a table gets its row there on its first insert.
        found = {"table": table.name, "last": last}
        updated = await conn.execute(
            text("UPDATE sqlite_sequence SET seq = :last WHERE name = :table AND seq < :last"),
            found,
        )
        if updated.rowcount == 0:
            await conn.execute(
                text(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT :table, :last "
                    "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :table)"
                ),
                found,
            )
