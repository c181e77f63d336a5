"""SQL indexes and unique constraints, derived from the declarations: none is written by hand.

``storage.types`` declares, per resource, its unique keys, filters, sorts and
look-ups, and which kind of index serves each filter on each engine
(``Listing.indexes``). This module turns that into the tables' constraints
and indexes, as ``storage.mongo.queries.indexes`` turns it into MongoDB's:

- a unique key -> ``UNIQUE (field)``, named ``uq_<table>_<field>`` (how
  ``storage.sql.errors`` recognises its violation);
- a B-tree -> an index ``(field, id)``: it serves the filter and the order
  with its id tie-break;
- a trigram index -> on PostgreSQL only, ``ix_<table>_<field>_trgm``, a GIN
  index with ``pg_trgm``'s ``gin_trgm_ops``, which serves ``LIKE '%value%'``
  (migration 0008 creates the extension);
- and, as every SQL schema should, an index on each foreign key that no
  other index leads (PostgreSQL does not make one itself; a referenced row's
  delete would scan the referring table).

An index that only some engines keep carries the engines in ``info`` and
``ddl_if``; ``include_object`` is Alembic's filter, so each dialect's
migrations are compared with its own indexes only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Index, MetaData, Table, UniqueConstraint
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from storage.types import DECLARED
from storage.types.schema import ENGINES, Engine
from storage.types.schema import Index as Declared

SQL_ENGINES: tuple[Engine, ...] = tuple(engine for engine in ENGINES if engine != "mongodb")
ENGINES_INFO = "engines"
"""Key of an index's ``info``: the engines that keep it (absent: every SQL engine)."""


def engine_of(dialect: str) -> Engine:
    """The engine a SQLAlchemy dialect name stands for (MariaDB is ``mysql``)."""
    return "mysql" if dialect == "mariadb" else cast(Engine, dialect)


def add_declared_indexes(metadata: MetaData) -> None:
    """Give ``metadata``'s tables the constraints and indexes their declarations ask for."""
    for listing in DECLARED:
        table = metadata.tables[listing.resource]
        wanted: dict[Declared, list[Engine]] = {}
        for engine in SQL_ENGINES:
            for declared in listing.indexes(engine):
                wanted.setdefault(declared, []).append(engine)
        for declared, engines in wanted.items():
            # A list kept in a table of its own (a post's tags) is served by
            # that table's indexes: its foreign keys below, the tags' unique name.
            if declared.field in table.c:
                _add(table, declared, tuple(engines))
    for table in metadata.tables.values():
        _index_foreign_keys(table)


def _add(table: Table, declared: Declared, engines: tuple[Engine, ...]) -> None:
    # Built from the table's own columns, each item attaches itself to the table.
    column = table.c[declared.field]
    item: Index | UniqueConstraint
    if declared.unique:
        item = UniqueConstraint(column)
    elif declared.kind == "trigram":
        item = Index(
            f"ix_{table.name}_{column.name}_trgm",
            column,
            postgresql_using="gin",
            postgresql_ops={column.name: "gin_trgm_ops"},
        )
    else:
        item = Index(None, column, table.c.id)
    if engines != SQL_ENGINES:
        item.info[ENGINES_INFO] = engines
        item.ddl_if(dialect=engines)  # type: ignore[arg-type]  # a tuple is documented


def _index_foreign_keys(table: Table) -> None:
    leading: list[Index | ColumnCollectionConstraint] = [table.primary_key, *table.indexes]
    leading += [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    led = {next(iter(item.columns)).name for item in leading if len(item.columns) > 0}
    for key in sorted(table.foreign_keys, key=lambda key: key.parent.name):
        if key.parent.name not in led:
            Index(None, key.parent)
            led.add(key.parent.name)


def include_object(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's ``include_object`` for ``dialect``: leave out indexes it does not keep."""
    engine = engine_of(dialect)

    def include(item: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ in ("index", "unique_constraint") and not reflected:
            engines = item.info.get(ENGINES_INFO)
            return engines is None or engine in engines
        return True

    return include
