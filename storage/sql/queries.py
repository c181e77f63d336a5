"""Query pieces every repository needs: filters and order derived from the declarations.

``where`` and ``order_by`` turn a list query into SQL using only what
``storage.types`` declares for the resource (``Listing``): a column map that
lacks a declared field fails loudly in ``tests/test_declarations.py``, never
with a KeyError on a request. The SQL depends only on the query's shape
(which filters, which order, skip or cursor); values are bound parameters,
so each shape is prepared once (``storage.sql.prepared``) and ``page_of``
reads a page with it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
)

from storage.sql.prepared import Query, Read, Row
from storage.types import Page
from storage.types.common import ListQuery
from storage.types.schema import Filter

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
    """WHERE clauses for the filters ``query`` sets, as its listing declares them.

    Values are bound parameters named after the filter (``parameters`` gives
    them), so every query with the same filters shares one prepared statement.
    """
    return [
        _clause(filter_, [columns[field] for field in filter_.fields], value)
        for filter_, value in query.conditions()
    ]


def _clause(filter_: Filter, targets: list[Any], value: Any) -> ColumnElement[bool]:
    first = targets[0]
    bound: Any = bindparam(filter_.param)
    match filter_.op:
        case "equals":
            return first == bound  # type: ignore[no-any-return]
        case "at_least":
            return first >= bound  # type: ignore[no-any-return]
        case "at_most":
            return first <= bound  # type: ignore[no-any-return]
        case "has":
            return first.has(bound)  # type: ignore[no-any-return]
        case "contains":
            # Keys and value are both folded: a plain, case-sensitive substring
            # test; the bound pattern has % _ and / escaped (``like_pattern``).
            return or_(*(target.like(bound, escape=ESCAPE) for target in targets))
        # These two choose the statement's shape by their value (``shape``):
        case "positive":
            return (first > 0) if value else (first == 0)  # type: ignore[no-any-return]
        case "presence":
            if value == "only":
                return first.is_not(None)  # type: ignore[no-any-return]
            if value == "include":
                return true()
            return first.is_(None)  # type: ignore[no-any-return]


ESCAPE = "/"
_SHAPING = frozenset({"positive", "presence"})
"""Filter operations whose value changes the SQL itself (not a parameter of it)."""


def like_pattern(value: str) -> str:
    """``%value%`` with LIKE's wildcards in ``value`` escaped: a literal substring."""
    escaped = value.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%")
    return "%" + escaped.replace("_", ESCAPE + "_") + "%"


def parameters(query: ListQuery) -> dict[str, Any]:
    """The values of the parameters ``where``, ``after`` and ``paged`` bind for ``query``."""
    values: dict[str, Any] = {}
    for filter_, value in query.conditions():
        if filter_.op == "contains":
            values[filter_.param] = like_pattern(value)
        elif filter_.op not in _SHAPING:
            values[filter_.param] = value
    position = query.position
    if position is not None:
        values["after_value"], values["after_id"] = position.value, position.id
    else:
        values["skip"] = query.skip
    values["limit"] = query.limit + 1
    return values


def shape(query: ListQuery) -> tuple[Any, ...]:
    """What decides the SQL of ``query``'s statements: queries of one shape share them."""
    filters = tuple(
        (filter_.param, value if filter_.op in _SHAPING else None)
        for filter_, value in query.conditions()
    )
    return (type(query).__name__, filters, query.sort, query.position is not None)


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
    return limited(order_by(statement, query, columns, tiebreaker, dialect), query)


def limited[S: Select[*tuple[Any, ...]]](statement: S, query: ListQuery) -> S:
    """``statement`` from ``skip`` (unless it starts at a position), ``limit + 1`` rows."""
    if query.position is None:
        statement = statement.offset(bindparam("skip", type_=Integer))
    return statement.limit(bindparam("limit", type_=Integer))


def after(
    query: ListQuery, columns: Mapping[str, Any], tiebreaker: Any, dialect: str
) -> ColumnElement[bool] | None:
    """Rows that come after ``query.position`` in the query's order (None: no position)."""
    if query.position is None:
        return None
    key = query.sort_key
    column = binary(columns[key.field], dialect)
    tie = binary(tiebreaker, dialect)
    last_id = bindparam("after_id", type_=tiebreaker.type)
    if column is tie or key.field == "id":
        return (tie < last_id) if key.descending else (tie > last_id)  # type: ignore[no-any-return]
    value = bindparam("after_value", type_=columns[key.field].type)
    # "field >= v AND (field > v OR id > last)": the leading range lets every
    # store seek the (field, id) index; a bare OR of the two made SQLite scan it.
    if key.descending:
        return and_(column <= value, or_(column < value, tie > last_id))
    return and_(column >= value, or_(column > value, tie > last_id))


def among(
    key: Hashable, ids: Sequence[Any], column: Any, build: Callable[[Any], Select[Any]]
) -> Query:
    """The query ``build(column IN (...ids))``: one statement per number of ids.

    A page's ids are at most ``limit + 1``, so the statements are few, each
    prepared once; no statement is built per request.
    """
    names = [f"id_{index}" for index in range(len(ids))]

    def statement(_dialect: str) -> Select[Any]:
        return build(column.in_([bindparam(name) for name in names]))

    return Query((key, len(ids)), statement, dict(zip(names, ids, strict=True)))


def counted(matching: Select[Any]) -> Select[Any]:
    """How many rows ``matching`` returns, as one column ``n``."""
    return select(func.count().label("n")).select_from(matching.order_by(None).subquery())


def page_of[T](
    query: ListQuery,
    matching: Callable[[str], Select[Any]],
    page: Callable[[str], Select[Any]],
    item: Callable[[Row], T] | None = None,
    *,
    items: Callable[[list[Row]], Read[list[T]]] | None = None,
    extra: Mapping[str, Any] | None = None,
    extra_shape: Hashable = None,
) -> Read[Page[T]]:
    """The read of a page of ``query``: its count (unless ``count=false``), then its rows.

    ``matching(dialect)`` selects the ids that match (for the count);
    ``page(dialect)`` selects the page, built with ``where`` and ``paged``.
    Each row becomes an item by ``item``, or the rows become items by
    ``items``, a read of its own (one more batched query: a post's tags).
    ``extra`` are the values of the caller's own parameters, whose SQL
    ``extra_shape`` tells apart.
    """
    values = {**parameters(query), **(extra or {})}
    key = (shape(query), extra_shape)
    total = None
    if query.count:
        rows = yield Query(("count", key), lambda dialect: counted(matching(dialect)), values)
        total = rows[0]["n"]
    rows = yield Query(("page", key), page, values)
    if items is not None:
        found = yield from items(rows)
    else:
        assert item is not None
        found = [item(row) for row in rows]
    return Page.of(found, query, total)


def binary(column: Any, dialect: str) -> Any:
    """``column`` with PostgreSQL told to compare it by code point (``COLLATE \"C\"``)."""
    if dialect == "postgresql" and isinstance(getattr(column, "type", None), String):
        return column.collate("C")
    return column


HIDDEN = frozenset({"password_hash", "token_version"})
"""Columns no read for a response selects: they are for ``CredentialStore`` only."""


def shown(table: Table) -> list[Any]:
    """``table``'s columns that responses may show: not the keys, never the credentials.

    Keys exist for WHERE clauses only; a post's content key alone can be 60k characters.
    """
    return [c for c in table.c if not c.name.endswith("_key") and c.name not in HIDDEN]


class Embedded:
    """Another table's columns selected beside a row's own, under a prefix (a post's author).

    The labels are worked out once; ``of`` picks an embedded record out of a
    row by them, without scanning the row.
    """

    def __init__(self, table: Table, prefix: str, names: Sequence[str] | None = None) -> None:
        columns = shown(table) if names is None else [table.c[name] for name in names]
        self.labels = tuple((prefix + column.name, column.name) for column in columns)
        self.columns = [column.label(prefix + column.name) for column in columns]

    def of(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The embedded record's values in ``row``, by their own names."""
        return {name: row[label] for label, name in self.labels}
