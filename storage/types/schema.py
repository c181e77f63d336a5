"""What each resource stores beyond its fields, and what its lists filter and sort by.

Declared once here; every backend derives from it: the SQL backend its WHERE
clauses, ORDER BY, key columns, indexes and unique constraints, the Mongo
backend its query documents, sort specs, key fields and indexes, and both the
message of a unique key's conflict. ``tests/test_declarations.py`` checks that
each backend covers every declaration and runs every filter and sort on every
backend against the same data; ``tests/test_indexes.py`` that each store holds
exactly the indexes derived here and that the SQLite and PostgreSQL planners
use them as ``Filter.index_on`` says.

Which index serves a filter depends on the engine (``Filter.index_on``): a
comparison is a B-tree seek everywhere; a substring search (``contains``)
is served by a trigram index on PostgreSQL (``pg_trgm``), by reading the
key's B-tree rather than the documents on MongoDB, and by nothing on SQLite
and MariaDB/MySQL, where it reads the table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from storage.types.text import fold

Op = Literal["equals", "at_least", "at_most", "contains", "has", "positive", "presence"]
"""How a filter compares: ``contains`` is a substring of a folded key (any of
``fields``), ``has`` an element of a list, ``positive`` is ``> 0`` for true and
``= 0`` for false, ``presence`` keeps records whose field is null (``exclude``,
the default), not null (``only``) or either (``include``): soft deletion."""


Engine = Literal["sqlite", "postgresql", "mysql", "mongodb"]
"""The database engines, by SQLAlchemy's dialect name (MariaDB is ``mysql``) and ``mongodb``."""
ENGINES: tuple[Engine, ...] = get_args(Engine)
IndexKind = Literal["btree", "trigram"]
"""``btree``: an index on ``(field, id)`` (the field alone when unique); ``trigram``:
PostgreSQL's ``pg_trgm`` GIN index on the field, which serves ``LIKE '%value%'``."""

SUBSTRING_INDEX: Mapping[Engine, IndexKind | None] = {
    # Finds the rows holding every trigram of the value, then checks them: a
    # seek for values of 3+ characters (shorter ones have no trigram to seek).
    "postgresql": "trigram",
    # The regex is matched against the key's index entries instead of the
    # documents ("faster than a collection scan", MongoDB's manual): every
    # entry is read, but no document that does not match is.
    "mongodb": "btree",
    # LIKE '%value%' is served by no index of theirs (a B-tree only serves a
    # known prefix; InnoDB's FULLTEXT matches words, not substrings): the table is read.
    "sqlite": None,
    "mysql": None,
}
"""Which index serves a ``contains`` filter, per engine."""


@dataclass(frozen=True)
class Filter:
    """One query parameter of a list and the stored field(s) it tests."""

    param: str
    op: Op
    fields: tuple[str, ...]
    index: Mapping[Engine, IndexKind | None] | None = None
    """The index that serves this filter on each engine (an engine left out: none);
    None: the rule for its ``op`` (``index_on``)."""

    def index_on(self, engine: Engine) -> IndexKind | None:
        """The kind of index that serves this filter on ``engine``; None: none does."""
        if self.index is not None:
            return self.index.get(engine)
        return SUBSTRING_INDEX[engine] if self.op == "contains" else "btree"


@dataclass(frozen=True)
class Index:
    """One index a store keeps for a listing, in neutral terms (each store names its own)."""

    field: str
    kind: IndexKind
    unique: bool = False


@dataclass(frozen=True)
class Listing:
    """A list endpoint: its filters, its sort fields, and its resource's key fields."""

    resource: str
    filters: tuple[Filter, ...]
    sorts: tuple[str, ...]
    keys: Mapping[str, str]
    """Field -> stored key field (``fold`` of the field), for matching and uniqueness."""
    unique: Mapping[str, str | None] = dataclasses.field(default_factory=dict)
    """Stored field no two records may share -> what a client reads when a write
    would (each store keeps a unique index on it and answers 409 with this).
    None: no client's write collides on it (the store inserts it if absent), so
    a collision gets the message every unknown one gets (``unique_message``)."""
    computed_sorts: frozenset[str] = frozenset()
    """Sort fields computed per query (an aggregate), which no index can hold."""
    lookups: tuple[str, ...] = ()
    """Stored fields read by equality outside the list's filters (a user's
    orders, the users naming a picture): each gets a ``(field, id)`` index."""

    def indexes(self, engine: Engine) -> list[Index]:
        """The indexes ``engine`` keeps for this listing, derived from the declarations.

        A unique index per unique field (it also serves that field's filter
        and sort); a ``(field, id)`` B-tree per field that a filter served by
        one, a stored sort or a look-up reads; a trigram index per field of a
        substring filter that the engine serves so. ``id`` needs none.
        """
        found = {(name, "btree"): Index(name, "btree", unique=True) for name in self.unique}
        wanted: list[tuple[str, IndexKind]] = []
        for declared in self.filters:
            kind = declared.index_on(engine)
            if kind is not None:
                wanted += [(name, kind) for name in declared.fields]
        wanted += [(name, "btree") for name in self.sorts if name not in self.computed_sorts]
        wanted += [(name, "btree") for name in self.lookups]
        for name, kind in wanted:
            if name != "id" and (name, kind) not in found:
                found[name, kind] = Index(name, kind)
        return list(found.values())

    def unique_key(self, name: str) -> str:
        """How a conflict names the unique field ``name``: ``<resource>.<field>``."""
        return f"{self.resource}.{name}"

    def with_keys(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` plus the key of every keyed field among them (None stays None)."""
        keyed = dict(values)
        for field, key in self.keys.items():
            if field in values:
                value = values[field]
                keyed[key] = None if value is None else fold(value)
        return keyed


@dataclass(frozen=True)
class Stored:
    """What a record field's type does not say about how stores keep it (``Annotated`` metadata).

    The stores derive everything else from the type: a text's room from its
    ``max_length``, nullability from ``| None``, money from ``Decimal``.
    """

    length: int | None = None
    """Room for a text whose type has no ``max_length`` (a ``Literal``: room to grow)."""
    references: str | None = None
    """``<resource>.<field>`` this field names (SQL: a foreign key)."""
    on_delete: Literal["CASCADE", "RESTRICT"] = "RESTRICT"
    """What deleting the referenced record does: take this one with it, or refuse."""
    default: str | None = None
    """What rows stored before the field existed hold (SQL: a server default)."""


def sort_fields(sort_literal: Any) -> tuple[str, ...]:
    """The fields of a ``Literal["id", "-id", "name", ...]`` sort type, in order."""
    fields: list[str] = []
    for value in get_args(sort_literal):
        field = str(value).removeprefix("-")
        if field not in fields:
            fields.append(field)
    return tuple(fields)
