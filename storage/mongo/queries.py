"""Mongo query documents, sort specs and indexes, derived from the declarations.

``storage.types`` declares each list's filters and sorts (``Listing``); this
module is the Mongo half of that derivation, ``storage.sql.queries`` the SQL
half. Declared fields become document fields, and values stored values, by
the one mapping of ``storage.mongo.fields`` (``id`` is ``_id``, money is cents).
"""

from __future__ import annotations

import re

from pymongo import ASCENDING, DESCENDING, IndexModel

from storage.mongo.fields import Document, stored, to_stored
from storage.types import SortKey
from storage.types.common import ListQuery
from storage.types.schema import Listing

__all__ = ["indexes", "keyset", "query_filter", "sort_spec", "stored"]


def query_filter(query: ListQuery) -> Document:
    """The query document for the filters ``query`` sets, as its listing declares them."""
    filter_: Document = {}
    for declared, value in query.conditions():
        field = stored(declared.fields[0])
        value = to_stored(declared.fields[0], value)
        match declared.op:
            case "equals" | "has":  # equality on an array field matches any element
                filter_[field] = value
            case "at_least":
                filter_[field] = {**filter_.get(field, {}), "$gte": value}
            case "at_most":
                filter_[field] = {**filter_.get(field, {}), "$lte": value}
            case "positive":
                filter_[field] = {"$gt": 0} if value else 0
            case "presence":
                if value != "include":
                    filter_[field] = {"$ne": None} if value == "only" else None
            case "contains":
                # Keys and value are both folded: a plain, case-sensitive substring
                # test, with the value's regex syntax escaped (re.escape output is PCRE).
                pattern = {"$regex": re.escape(value)}
                filter_.setdefault("$and", []).append(
                    {"$or": [{stored(name): pattern} for name in declared.fields]}
                )
    return filter_


def keyset(query: ListQuery) -> Document | None:
    """Documents that come after ``query.position`` in the query's order (None: no position)."""
    position = query.position
    if position is None:
        return None
    key = query.sort_key
    field = stored(key.field)
    value = to_stored(key.field, position.value)
    if field == "_id":
        return {"_id": {"$lt" if key.descending else "$gt": position.id}}
    # A range on the field bounds the (field, _id) index scan; the $or settles ties.
    strict, loose = ("$lt", "$lte") if key.descending else ("$gt", "$gte")
    return {
        field: {loose: value},
        "$or": [{field: {strict: value}}, {"_id": {"$gt": position.id}}],
    }


def sort_spec(key: SortKey) -> list[tuple[str, int]]:
    """Order by the requested field, ties broken by ``_id`` ascending (as the SQL side does)."""
    field = stored(key.field)
    direction = DESCENDING if key.descending else ASCENDING
    if field == "_id":
        return [("_id", direction)]
    return [(field, direction), ("_id", ASCENDING)]


def indexes(listing: Listing) -> list[IndexModel]:
    """The indexes MongoDB keeps for ``listing`` (``Listing.indexes``), as index models.

    A unique key is ``<field>_unique``; every other is ``(field, _id)``,
    ``<field>_id``: it serves the filter on the field and its sort with the
    id tie-break (and a substring filter's regex, matched against its keys).
    """
    models = []
    for declared in listing.indexes("mongodb"):
        field = stored(declared.field)
        if declared.unique:
            models.append(IndexModel(field, unique=True, name=f"{field}_unique"))
        else:
            models.append(IndexModel([(field, ASCENDING), ("_id", ASCENDING)], name=f"{field}_id"))
    return models
