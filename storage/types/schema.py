"""What each resource stores beyond its fields, and what its lists filter and sort by.

Declared once here; every backend derives from it: the SQL backend its WHERE
clauses, ORDER BY, key columns and indexes, the Mongo backend its query
documents, sort specs, key fields and indexes. ``tests/test_declarations.py``
checks that each backend covers every declaration and has an index for it,
and runs every filter and sort on every backend against the same data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from storage.types.text import fold

Op = Literal["equals", "at_least", "at_most", "contains", "has", "positive", "presence"]
"""How a filter compares: ``contains`` is a substring of a folded key (any of
``fields``), ``has`` an element of a list, ``positive`` is ``> 0`` for true and
``= 0`` for false, ``presence`` keeps records whose field is null (``exclude``,
the default), not null (``only``) or either (``include``): soft deletion."""


@dataclass(frozen=True)
class Filter:
    """One query parameter of a list and the stored field(s) it tests."""

    param: str
    op: Op
    fields: tuple[str, ...]
    indexed: bool = True
    """False only for substring search over long text, which no B-tree serves."""


@dataclass(frozen=True)
class Listing:
    """A list endpoint: its filters, its sort fields, and its resource's key fields."""

    resource: str
    filters: tuple[Filter, ...]
    sorts: tuple[str, ...]
    keys: Mapping[str, str]
    """Field -> stored key field (``fold`` of the field), for matching and uniqueness."""
    unique: tuple[str, ...] = ()
    """Stored fields no two records may share (each store keeps a unique index on it)."""
    computed_sorts: frozenset[str] = frozenset()
    """Sort fields computed per query (an aggregate), which no index can hold."""

    def with_keys(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` plus the key of every keyed field among them (None stays None)."""
        keyed = dict(values)
        for field, key in self.keys.items():
            if field in values:
                value = values[field]
                keyed[key] = None if value is None else fold(value)
        return keyed


def sort_fields(sort_literal: Any) -> tuple[str, ...]:
    """The fields of a ``Literal["id", "-id", "name", ...]`` sort type, in order."""
    fields: list[str] = []
    for value in get_args(sort_literal):
        field = str(value).removeprefix("-")
        if field not in fields:
            fields.append(field)
    return tuple(fields)
