"""Names and helpers shared by every Mongo store: collections, ids, pages, batched look-ups."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from storage.types import utc_now
from storage.types.common import PageQuery

Document = dict[str, Any]
Database = AsyncDatabase[Document]
Collection = AsyncCollection[Document]
Session = AsyncClientSession

USERS = "users"
POSTS = "posts"
CATEGORIES = "categories"
PRODUCTS = "products"
COUNTERS = "counters"
META = "meta"
RESOURCES = (USERS, POSTS, CATEGORIES, PRODUCTS)
"""Collections holding resources; each has a counter document named after it."""
GUARD = "txn_guard"
"""A counter on users and categories that transactions depending on them bump
(see ``storage.mongo.runner.Runner.guard``); never shown to clients."""


async def next_id(db: Database, collection: str) -> int:
    """Reserve the next integer id of ``collection`` from its counter document.

    ``$inc`` on one document is atomic, so concurrent inserts never share an id;
    a failed insert leaves a gap, as an SQL sequence would. It runs outside
    any transaction: a counter every insert writes would make all concurrent
    transactions of a collection conflict.
    """
    counter = await db[COUNTERS].find_one_and_update(
        {"_id": collection},
        {"$inc": {"seq": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert counter is not None  # upsert=True with AFTER always returns the document
    return int(counter["seq"])


async def update_fields(
    collection: Collection, doc_id: int, fields: Document, session: Session | None = None
) -> Document | None:
    """Set ``fields`` and bump ``updated_at`` on one document; return it as it now is.

    None if there is no such document. An empty patch changes nothing, not even
    ``updated_at`` (as on SQL): it only reads the document.
    """
    if not fields:
        return await collection.find_one({"_id": doc_id}, session=session)
    return await collection.find_one_and_update(
        {"_id": doc_id},
        {"$set": {**fields, "updated_at": utc_now()}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )


async def find_page(
    collection: Collection,
    filter_: Document,
    query: PageQuery,
    sort: list[tuple[str, int]],
    session: Session | None = None,
    projection: Document | None = None,
) -> tuple[list[Document], int]:
    """Return one page of documents matching ``filter_`` and the total number matching.

    Always two round trips, whatever the page size.
    """
    cursor = collection.find(filter_, projection, session=session)
    docs = await cursor.sort(sort).skip(query.skip).limit(query.limit).to_list()
    total = await collection.count_documents(filter_, session=session)
    return docs, total


async def find_by_ids(
    collection: Collection, ids: set[int], session: Session | None = None
) -> dict[int, Document]:
    """Fetch the documents with the given ids in one batched ``$in`` query, keyed by id."""
    if not ids:
        return {}
    cursor = collection.find({"_id": {"$in": sorted(ids)}}, session=session)
    return {doc["_id"]: doc for doc in await cursor.to_list()}
