"""Names and helpers shared by every Mongo store: collections, ids, pages, batched look-ups."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from storage.errors import PreconditionFailed
from storage.mongo.queries import keyset, sort_spec
from storage.types import utc_now
from storage.types.common import ListQuery

Document = dict[str, Any]
Database = AsyncDatabase[Document]
Collection = AsyncCollection[Document]
Session = AsyncClientSession

USERS = "users"
POSTS = "posts"
CATEGORIES = "categories"
PRODUCTS = "products"
ORDERS = "orders"
PICTURES = "pictures"
COUNTERS = "counters"
META = "meta"
RESOURCES = (USERS, POSTS, CATEGORIES, PRODUCTS, ORDERS, PICTURES)
"""Collections holding resources; each has a counter document named after it."""
GUARD = "txn_guard"
"""A counter on users, categories and pictures that transactions depending on them bump
(see ``storage.mongo.runner.Runner.guard``); never shown to clients."""
GUARDED = frozenset({USERS, CATEGORIES, PICTURES})
"""Collections whose documents carry ``GUARD``: what transactions depend on existing."""


async def next_id(db: Database, collection: str) -> int:
    """Reserve the next integer id of ``collection`` from its counter document."""
    return (await reserve_ids(db, collection, 1))[0]


async def reserve_ids(db: Database, collection: str, count: int) -> list[int]:
    """Reserve ``count`` consecutive ids of ``collection`` in one counter step.

    ``$inc`` on one document is atomic, so concurrent inserts never share an id;
    a failed insert leaves a gap, as an SQL sequence would. It runs outside
    any transaction: a counter every insert writes would make all concurrent
    transactions of a collection conflict.
    """
    counter = await db[COUNTERS].find_one_and_update(
        {"_id": collection},
        {"$inc": {"seq": count}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert counter is not None  # upsert=True with AFTER always returns the document
    last = int(counter["seq"])
    return list(range(last - count + 1, last + 1))


def new_document(fields: Document) -> Document:
    """A resource document's bookkeeping fields for an insert: timestamps and version 1."""
    now = utc_now()
    return {**fields, "created_at": now, "updated_at": now, "version": 1}


async def update_fields(
    collection: Collection,
    doc_id: int,
    fields: Document,
    session: Session | None = None,
    current: Document | None = None,
    match: Document | None = None,
) -> Document | None:
    """Set ``fields``, bump ``updated_at`` and ``version`` on one document; return it now.

    With ``current`` (the document as read, checked against an If-Match) the
    write applies only to that version: the check is part of the write.
    ``match`` adds conditions (e.g. not deleted). None if no document matches.
    An empty patch changes nothing, not even ``updated_at`` (as on SQL).
    """
    filter_ = {"_id": doc_id, **(match or {})}
    if current is not None:
        filter_["version"] = current["version"]
    if not fields:
        return await collection.find_one(filter_, session=session)
    return await collection.find_one_and_update(
        filter_,
        {"$set": {**fields, "updated_at": utc_now()}, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )


def versioned(doc: Document | None) -> Document:
    """The result of a write conditioned on a version: None means it changed meanwhile."""
    if doc is None:
        raise PreconditionFailed("The resource has changed meanwhile; read it again")
    return doc


async def find_page(
    collection: Collection,
    filter_: Document,
    query: ListQuery,
    session: Session | None = None,
    projection: Document | None = None,
) -> tuple[list[Document], int | None]:
    """Up to ``limit + 1`` documents of the page, and the total matching (None: not counted).

    Two round trips at any page size (one with ``count=false``). After a
    cursor's position the page starts with a keyset condition, which the
    ``(field, _id)`` indexes serve, instead of skipping documents.
    """
    position = keyset(query)
    paged = {"$and": [filter_, position]} if position else filter_
    cursor = collection.find(paged, projection, session=session).sort(sort_spec(query.sort_key))
    if query.position is None:
        cursor = cursor.skip(query.skip)
    docs = await cursor.limit(query.limit + 1).to_list()
    total = await collection.count_documents(filter_, session=session) if query.count else None
    return docs, total


async def find_by_ids(
    collection: Collection, ids: set[int], session: Session | None = None
) -> dict[int, Document]:
    """Fetch the documents with the given ids in one batched ``$in`` query, keyed by id."""
    if not ids:
        return {}
    cursor = collection.find({"_id": {"$in": sorted(ids)}}, session=session)
    return {doc["_id"]: doc for doc in await cursor.to_list()}
