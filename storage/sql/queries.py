"""Query pieces every repository needs: filters and order derived from the declarations.

``where`` and ``order_by`` turn a list query into SQL using only what
``storage.types`` declares for the resource (``Listing``): a column map that
lacks a declared field fails loudly in ``tests/test_declarations.py``, never
with a KeyError on a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, String, Table, and_, func, or_, select, true
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
        case "presence":
            if value == "only":
                return first.is_not(None)  # type: ignore[no-any-return]
            if value == "include":
                return true()
            return first.is_(None)  # type: ignore[no-any-return]


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


def paged[S: Select[*tuple[Any, ...]]](
    statement: S,
    query: ListQuery,
    columns: Mapping[str, Any],
    tiebreaker: Any,
    dialect: str,
) -> S:
    """``statement`` ordered, started after ``query.position`` (or at ``skip``), limit + 1.

    One row more than the page tells whether another page follows (``Page.of``).
    The keyset condition compares (sort value, id) with the last item seen, so
    each page seeks on the ``(field, id)`` index instead of counting past
    ``skip`` rows.
    """
    position = after(query, columns, tiebreaker, dialect)
    if position is not None:
        statement = statement.where(position)
    statement = order_by(statement, query, columns, tiebreaker, dialect)
    if query.position is None:
        statement = statement.offset(query.skip)
    return statement.limit(query.limit + 1)


def after(
    query: ListQuery, columns: Mapping[str, Any], tiebreaker: Any, dialect: str
) -> ColumnElement[bool] | None:
    """Rows that come after ``query.position`` in the query's order (None: no position)."""
    position = query.position
    if position is None:
        return None
    key = query.sort_key
    column = binary(columns[key.field], dialect)
    tie = binary(tiebreaker, dialect)
    if column is tie or key.field == "id":
        return (tie < position.id) if key.descending else (tie > position.id)  # type: ignore[no-any-return]
    # "field >= v AND (field > v OR id > last)": the leading range lets every
    # store seek the (field, id) index; a bare OR of the two made SQLite scan it.
    if key.descending:
        return and_(column <= position.value, or_(column < position.value, tie > position.id))
    return and_(column >= position.value, or_(column > position.value, tie > position.id))


async def total(
    conn: AsyncConnection, statement: Select[*tuple[Any, ...]], query: ListQuery
) -> int | None:
    """How many rows match, or None when the query asks not to count (``count=false``)."""
    return await count(conn, statement) if query.count else None


def binary(column: Any, dialect: str) -> Any:
    """``column`` with PostgreSQL told to compare it by code point (``COLLATE \"C\"``)."""
    if dialect == "postgresql" and isinstance(getattr(column, "type", None), String):
        return column.collate("C")
    return column


async def count(conn: AsyncConnection, statement: Select[*tuple[Any, ...]]) -> int:
    """Number of rows ``statement`` would return, ignoring order and paging."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return (await conn.execute(counted)).scalar_one()


HIDDEN = frozenset({"password_hash", "token_version"})
"""Columns no read for a response selects: they are for ``CredentialStore`` only."""


def shown(table: Table) -> list[Any]:
    """``table``'s columns that responses may show: not the keys, never the credentials.

    Keys exist for WHERE clauses only; a post's content key alone can be 60k characters.
    """
    return [c for c in table.c if not c.name.endswith("_key") and c.name not in HIDDEN]


def prefixed(table: Table, prefix: str) -> list[Any]:
    """``shown(table)`` labelled ``<prefix><name>``, to select beside another table's."""
    return [column.label(prefix + column.name) for column in shown(table)]


def unprefixed(row: RowMapping, prefix: str) -> dict[str, Any]:
    """The values of the columns selected with ``prefixed(..., prefix)``, by plain name."""
    return {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}
