"""Helpers shared by every Mongo store: types, ids, filters, ordering and pages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from storage.types import SortKey, utc_now
from storage.types.common import PageQuery

Document = dict[str, Any]
Database = AsyncDatabase[Document]
Collection = AsyncCollection[Document]

USERS = "users"
POSTS = "posts"
CATEGORIES = "categories"
PRODUCTS = "products"
COUNTERS = "counters"
META = "meta"
RESOURCES = (USERS, POSTS, CATEGORIES, PRODUCTS)
"""Collections holding resources; each has a counter document named after it."""


async def next_id(db: Database, collection: str) -> int:
    """Reserve the next integer id of ``collection`` from its counter document.

    ``$inc`` on one document is atomic, so concurrent inserts never share an id;
    a failed insert leaves a gap, as an SQL sequence would.
    """
    counter = await db[COUNTERS].find_one_and_update(
        {"_id": collection},
        {"$inc": {"seq": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert counter is not None  # upsert=True with AFTER always returns the document
    return int(counter["seq"])


def contains(text: str) -> dict[str, str]:
    """A filter matching a case-insensitive substring, with ``text`` taken literally.

    ``re.escape`` output is valid PCRE (escaped punctuation is literal there too).
    NUL, which the server refuses in a pattern, never gets here (``storage.types``).
    """
    return {"$regex": re.escape(text), "$options": "i"}


def sort_spec(key: SortKey, fields: Mapping[str, str] | None = None) -> list[tuple[str, int]]:
    """Order by the requested field, ties broken by ``_id`` ascending (as the SQL side does).

    ``fields`` maps an API field name to its stored name where they differ.
    """
    names = {"id": "_id", **(fields or {})}
    field = names.get(key.field, key.field)
    direction = DESCENDING if key.descending else ASCENDING
    if field == "_id":
        return [("_id", direction)]
    return [(field, direction), ("_id", ASCENDING)]


async def update_fields(collection: Collection, doc_id: int, fields: Document) -> Document | None:
    """Set ``fields`` and bump ``updated_at`` on one document; return it as it now is.

    None if there is no such document. An empty patch changes nothing, not even
    ``updated_at`` (as on SQL): it only reads the document.
    """
    if not fields:
        return await collection.find_one({"_id": doc_id})
    return await collection.find_one_and_update(
        {"_id": doc_id},
        {"$set": {**fields, "updated_at": utc_now()}},
        return_document=ReturnDocument.AFTER,
    )


async def find_page(
    collection: Collection,
    filter_: Document,
    query: PageQuery,
    sort: list[tuple[str, int]],
) -> tuple[list[Document], int]:
    """Return one page of documents matching ``filter_`` and the total number matching.

    Always two round trips, whatever the page size.
    """
    cursor = collection.find(filter_).sort(sort).skip(query.skip).limit(query.limit)
    docs = await cursor.to_list()
    total = await collection.count_documents(filter_)
    return docs, total


async def find_by_ids(collection: Collection, ids: set[int]) -> dict[int, Document]:
    """Fetch the documents with the given ids in one batched ``$in`` query, keyed by id."""
    if not ids:
        return {}
    cursor = collection.find({"_id": {"$in": sorted(ids)}})
    return {doc["_id"]: doc for doc in await cursor.to_list()}
