"""Query pieces every repository needs: filters and order derived from the declarations.

``where`` and ``order_by`` turn a list query into SQL using only what
``storage.types`` declares for the resource (``Listing``): a column map that
lacks a declared field fails loudly in ``tests/test_declarations.py``, never
with a KeyError on a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, String, Table, func, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.types.common import ListQuery
from storage.types.schema import Op

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


class Membership(Protocol):
    """A list-valued field kept in another table (a post's tags): ``has`` tests it."""

    def has(self, value: Any) -> ColumnElement[bool]:
        """Rows whose list contains ``value``."""
        ...


def columns_of(table: Table, **extra: Any) -> dict[str, Any]:
    """The declared field names of ``table``'s resource -> what SQL compares or sorts."""
    return {**{column.name: column for column in table.c}, **extra}


def where(query: ListQuery, columns: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """WHERE clauses for the filters ``query`` sets, as its listing declares them."""
    return [
        _clause(filter_.op, [columns[field] for field in filter_.fields], value)
        for filter_, value in query.conditions()
    ]


def _clause(op: Op, targets: list[Any], value: Any) -> ColumnElement[bool]:
    first = targets[0]
    match op:
        case "equals":
            return first == value  # type: ignore[no-any-return]
        case "at_least":
            return first >= value  # type: ignore[no-any-return]
        case "at_most":
            return first <= value  # type: ignore[no-any-return]
        case "positive":
            return (first > 0) if value else (first == 0)  # type: ignore[no-any-return]
        case "has":
            return first.has(value)  # type: ignore[no-any-return]
        case "contains":
            # Keys and value are both folded: a plain, case-sensitive substring
            # test; autoescape makes % _ and / in the value literal.
            return or_(*(target.contains(value, autoescape=True) for target in targets))


def order_by[S: Select[*tuple[Any, ...]]](
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
    if dialect == "postgresql" and isinstance(getattr(column, "type", None), String):
        return column.collate("C")
    return column


async def count(conn: AsyncConnection, statement: Select[*tuple[Any, ...]]) -> int:
    """Number of rows ``statement`` would return, ignoring order and paging."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return (await conn.execute(counted)).scalar_one()


def shown(table: Table) -> list[Any]:
    """``table``'s columns that responses show: all but the ``*_key`` columns.

    Keys exist for WHERE clauses only; a post's content key alone can be 60k characters.
    """
    return [column for column in table.c if not column.name.endswith("_key")]


def prefixed(table: Table, prefix: str) -> list[Any]:
    """``shown(table)`` labelled ``<prefix><name>``, to select beside another table's."""
    return [column.label(prefix + column.name) for column in shown(table)]


def unprefixed(row: RowMapping, prefix: str) -> dict[str, Any]:
    """The values of the columns selected with ``prefixed(..., prefix)``, by plain name."""
    return {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}
