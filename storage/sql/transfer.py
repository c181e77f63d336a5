"""``storage.protocol.TransferStore`` on SQL: records in and out, ids and versions kept.

A record's fields map to the columns of the table named after its kind
(``users``, ``posts``, ...) by name; the two that are lists live in tables of
their own (``storage.sql.record_lists``). The key columns are recomputed from
the declarations (``Listing.with_keys``). A batch is imported in one
transaction as one upsert per table (``INSERT … ON CONFLICT (id) DO UPDATE``
on PostgreSQL and SQLite, ``ON DUPLICATE KEY UPDATE`` on MariaDB/MySQL), so
running it again, or retrying it after a deadlock, converges.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.errors import Conflict
from storage.sql.database import Database
from storage.sql.id_sources import last_issued, move_past
from storage.sql.record_lists import RECORD_LISTS, RecordList
from storage.sql.tables import Base
from storage.types.records import Census, Record

MISSING_REFERENCE = "a record refers to another that the target does not hold"


@dataclass(frozen=True)
class Layout:
    """Where the fields of one kind of record live."""

    table: Table
    columns: tuple[str, ...]
    """Record fields that are columns of ``table`` (``id`` first)."""
    lists: dict[str, RecordList]
    """Record fields kept in tables of their own."""


@cache
def layout(kind: type[Record]) -> Layout:
    """The layout of ``kind``; raises ``LookupError`` for a field SQL keeps nowhere."""
    table = Base.metadata.tables[kind.kind()]
    columns = tuple(name for name in kind.model_fields if name in table.c)
    lists: dict[str, RecordList] = {}
    for name in kind.model_fields:
        if name not in table.c:
            where = RECORD_LISTS.get((table.name, name))
            if where is None:
                raise LookupError(f"{kind.__name__}.{name} is stored nowhere in SQL")
            lists[name] = where
    return Layout(table, columns, lists)


def upsert(table: Table, dialect: str, columns: Iterable[str]) -> Any:
    """An INSERT of ``columns`` that replaces the row with the same id if there is one."""
    changed = [name for name in columns if name != "id"]
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        return insert.on_conflict_do_update(
            index_elements=[table.c.id], set_={name: insert.excluded[name] for name in changed}
        )
    statement = mysql.insert(table)
    return statement.on_duplicate_key_update({name: statement.inserted[name] for name in changed})


class SqlTransferStore:
    """``storage.protocol.TransferStore`` on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def export[R: Record](self, kind: type[R], after_id: int, limit: int) -> list[R]:
        shape = layout(kind)
        table = shape.table
        # Only the record's columns: a post's content key alone can be 60k characters.
        statement = (
            select(*(table.c[name] for name in shape.columns))
            .where(table.c.id > after_id)
            .order_by(table.c.id)
            .limit(limit)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).mappings().all()
            ids = [row["id"] for row in rows]
            lists = {name: await where.load(conn, ids) for name, where in shape.lists.items()}
        return [
            kind.model_validate(
                {**row, **{name: found.get(row["id"], []) for name, found in lists.items()}}
            )
            for row in rows
        ]

    async def import_[R: Record](self, kind: type[R], records: Sequence[R]) -> None:
        if not records:
            return
        shape = layout(kind)
        columns = set(shape.columns)
        rows = [kind.listing.with_keys(record.model_dump(include=columns)) for record in records]
        statement = upsert(shape.table, self._db.dialect, rows[0])

        async def write(session: AsyncSession) -> None:
            await session.execute(statement, rows)
            for name, where in shape.lists.items():
                values = [(record.id, getattr(record, name)) for record in records]
                await where.replace(session, self._db.dialect, values)

        # SQLite does not name the key that failed; this is the only one an import can break.
        await self._db.transaction(write, on_foreign_key=partial(Conflict, MISSING_REFERENCE))

    async def census(self, kind: type[Record]) -> Census:
        table = layout(kind).table
        async with self._db.read() as conn:
            count, highest = await _extent(conn, table)
            counter = await last_issued(conn, table)
        return Census(count=count, highest_id=highest, id_counter=counter)

    async def continue_ids(self, kind: type[Record], after: int) -> None:
        table = layout(kind).table

        async def move(session: AsyncSession) -> None:
            conn = await session.connection()
            _, highest = await _extent(conn, table)
            wanted = max(after, highest)
            if wanted > await last_issued(conn, table):
                await move_past(conn, table, wanted)

        await self._db.transaction(move)


async def _extent(conn: AsyncConnection, table: Table) -> tuple[int, int]:
    """How many rows ``table`` has, and its highest id (0 if none)."""
    statement = select(func.count(), func.coalesce(func.max(table.c.id), 0)).select_from(table)
    count, highest = (await conn.execute(statement)).one()
    return int(count), int(highest)
