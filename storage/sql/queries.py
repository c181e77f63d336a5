"""Query pieces every repository needs: literal text search, ordering, paging."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
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
    column = _binary(columns[key.field], dialect)
    first = column.desc() if key.descending else column.asc()
    return statement.order_by(first, _binary(tiebreaker, dialect).asc())


def _binary(column: Any, dialect: str) -> Any:
    if dialect == "postgresql" and isinstance(column.type, String):
        return column.collate("C")
    return column


async def count(session: AsyncSession, statement: Select[*tuple[Any, ...]]) -> int:
    """Number of rows ``statement`` would return, ignoring order and paging."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return (await session.execute(counted)).scalar_one()
