"""Read statements built once with SQLAlchemy Core, run by the driver itself.

A read's statement is declared with Core (``storage.sql.tables``, the list
declarations), compiled once per dialect and shape into ``Prepared``: the SQL
text the driver takes, the order of its parameters, and SQLAlchemy's own bind
and result processors of each column type (so a SQLite timestamp, a MariaDB
boolean or a ``Money`` column read here equals what SQLAlchemy would return).
Per request only the values are bound and the rows converted; no statement is
built, cache-keyed or compiled, and no ORM, pool or greenlet of SQLAlchemy's
is on the path (``storage.sql.read_pools`` runs it on the driver's pool).

A read operation is a generator: it yields each ``Query`` it needs and
receives its rows, then returns its result. The same operation runs inside
one worker thread on SQLite (one hand-off per request, however many
statements) and statement by statement on the asyncio drivers.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Dialect, Float, Numeric, Select
from sqlalchemy.types import TypeEngine

Row = dict[str, Any]
Builder = Callable[[str], Select[Any]]
"""Builds a statement for a dialect name (``postgresql``, ``mysql``, ``sqlite``)."""


@dataclass(frozen=True, slots=True)
class Query:
    """One statement to run: its shape (``key``), how to build it, and this run's values."""

    key: Hashable
    build: Builder
    values: Mapping[str, Any]


type Read[T] = Generator[Query, list[Row], T]
"""A read operation: yields queries, is sent their rows, returns its result."""


def query(statement: Select[Any], **values: Any) -> Query:
    """Run ``statement``, a module-level constant: its identity is its shape."""
    return Query(statement, lambda _dialect: statement, values)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A SELECT compiled for one dialect: SQL text, parameter order, converters."""

    sql: str
    names: tuple[str, ...]
    """The result columns' keys, in order."""
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]
    """(column index, SQLAlchemy's result processor) for the columns that need one."""
    parameters: tuple[str, ...]
    """Bind parameter names in the driver's positional order (a name may repeat)."""
    defaults: Mapping[str, Any]
    """Values fixed in the statement itself (a literal SQLAlchemy bound for us)."""
    binders: Mapping[str, Callable[[Any], Any]]
    """SQLAlchemy's bind processors, by parameter name, for those that have one."""

    def bind(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The driver's positional arguments for ``values``."""
        bound = []
        for name in self.parameters:
            value = values[name] if name in values else self.defaults[name]
            binder = self.binders.get(name)
            bound.append(value if binder is None else binder(value))
        return tuple(bound)

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[Row]:
        """Driver rows as dictionaries of SQLAlchemy's values, by column key."""
        names, converters = self.names, self.converters
        result = []
        for record in raw:
            values = list(record)
            for index, convert in converters:
                values[index] = convert(values[index])
            result.append(dict(zip(names, values, strict=True)))
        return result


def prepare(statement: Select[Any], dialect: Dialect) -> Prepared:
    """Compile ``statement`` for ``dialect`` once, with SQLAlchemy's type processing."""
    compiled = statement.compile(dialect=dialect)
    if not compiled.positional:
        raise ValueError(f"{dialect.name}: a positional paramstyle is expected")
    parameters = tuple(compiled.positiontup or ())
    binds = compiled.binds
    defaults = {
        name: bind.effective_value
        for name, bind in binds.items()
        if not bind.required and bind.callable is None
    }
    binders = {}
    for name in set(parameters):
        processor = binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            binders[name] = processor
    names: list[str] = []
    converters = []
    for index, column in enumerate(statement.selected_columns):
        if column.key is None:
            raise ValueError(f"label every selected expression: {column!r} has no name")
        names.append(column.key)
        convert = _result_processor(column.type, dialect)
        if convert is not None:
            converters.append((index, convert))
    return Prepared(
        sql=compiled.string,
        names=tuple(names),
        converters=tuple(converters),
        parameters=parameters,
        defaults=defaults,
        binders=binders,
    )


def _result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """SQLAlchemy's result processor of ``type_`` on ``dialect`` (None: values come as they are).

    A type that says the models set the zone (``UtcDateTime``) gets only its
    underlying type's step (SQLite's text to datetime): the models' validator
    makes the value UTC, so doing it here too would do it twice per value.
    """
    impl = type_.dialect_impl(dialect)
    if getattr(type_, "models_set_the_zone", False):
        impl = getattr(impl, "impl_instance", impl)
    return impl.result_processor(dialect, _type_code(type_, dialect))


PG_NUMERIC = 1700
"""PostgreSQL's type oid of NUMERIC: what asyncpg reports for a ``Numeric`` column."""


def _type_code(type_: TypeEngine[Any], dialect: Dialect) -> Any:
    """The driver's type code of a column, for the result processors that ask for it.

    Only SQLAlchemy's asyncpg ``Numeric`` does (it converts floats but not
    NUMERIC, which asyncpg already returns as ``Decimal``); our columns are
    NUMERIC, never FLOAT.
    """
    impl = type_.dialect_impl(dialect)
    impl = getattr(impl, "impl_instance", impl)  # a TypeDecorator's underlying type
    if dialect.name == "postgresql" and isinstance(impl, Numeric) and not isinstance(impl, Float):
        return PG_NUMERIC
    return None


@dataclass
class Statements:
    """The prepared statements of one database (one dialect), by shape, built on first use.

    Shapes are few (each list's filters, sorts and paging modes; a page's ids
    by count), so the cache is bounded by the declarations, not by traffic.
    """

    dialect: Dialect
    _prepared: dict[Hashable, Prepared] = field(default_factory=dict)

    def __getitem__(self, query: Query) -> Prepared:
        prepared = self._prepared.get(query.key)
        if prepared is None:
            prepared = prepare(query.build(self.dialect.name), self.dialect)
            self._prepared[query.key] = prepared
        return prepared
