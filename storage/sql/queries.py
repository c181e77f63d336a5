"""Query pieces every repository needs: literal text search, ordering, paging."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, String, Table, func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from storage.types.common import ListQuery

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def contains_text(column: InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match; ``%``, ``_`` and ``/`` in ``text`` are literal."""
    return column.icontains(text, autoescape=True)


def order_by(
    statement: S,
    query: ListQuery,
    columns: Mapping[str, Any],
    tiebreaker: Any,
    dialect: str,
) -> S:
    """Order by the query's sort key, ties broken by ``tiebreaker`` ascending.

    Strings sort by code point on every backend: PostgreSQL is told to use the
    "C" collation, which is what SQLite, MySQL (utf8mb4_bin) and MongoDB do.
    """
    key = query.sort_key
    column = binary(columns[key.field], dialect)
    first = column.desc() if key.descending else column.asc()
    return statement.order_by(first, binary(tiebreaker, dialect).asc())


def binary(column: Any, dialect: str) -> Any:
    """``column`` with PostgreSQL told to compare it by code point (``COLLATE \"C\"``)."""
    if dialect == "postgresql" and isinstance(column.type, String):
        return column.collate("C")
    return column


async def count(conn: AsyncConnection, statement: Select[*tuple[Any, ...]]) -> int:
    """Number of rows ``statement`` would return, ignoring order and paging."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return (await conn.execute(counted)).scalar_one()


def prefixed(table: Table, prefix: str) -> list[Any]:
    """``table``'s columns labelled ``<prefix><name>``, to select beside another table's."""
    return [column.label(prefix + column.name) for column in table.c]


def unprefixed(row: RowMapping, prefix: str) -> dict[str, Any]:
    """The values of the columns selected with ``prefixed(..., prefix)``, by plain name."""
    return {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}
