"""Products in the ``products`` collection, returned with their category embedded.

Prices are stored as integer cents (``price_cents``, by ``storage.mongo.fields``).
A page costs three round trips at any page size: page, count, one ``$in`` for
categories, read from one snapshot. A deleted product keeps its document with
``deleted_at`` set: hidden from lists and look-ups, kept for orders.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from storage.errors import Conflict, NotFound
from storage.messages import (
    CATEGORY_NOT_FOUND,
    PRODUCT_NOT_DELETED,
    PRODUCT_NOT_FOUND,
    categories_missing,
)
from storage.mongo.categories import to_category
from storage.mongo.documents import (
    CATEGORIES,
    GUARD,
    PRODUCTS,
    Document,
    Session,
    find_by_ids,
    find_page,
    new_document,
    next_id,
    reserve_ids,
    update_fields,
    versioned,
)
from storage.mongo.fields import from_document, to_document
from storage.mongo.queries import query_filter
from storage.mongo.runner import Runner
from storage.types import PRODUCTS as LISTING
from storage.types import (
    Page,
    Product,
    ProductCreate,
    ProductQuery,
    ProductUpdate,
    ensure_current,
    utc_now,
)

LIVE: Document = {"deleted_at": None}


def to_product(doc: Document, category: Document | None) -> Product:
    """Build the API model from a stored product and its category's document (or None)."""
    embedded = None if category is None else to_category(category)
    return Product.model_validate({**from_document(Product, doc), "category": embedded})


def _stored(fields: dict[str, Any]) -> Document:
    # Declared field names and values -> document field names and values, keys added.
    return to_document(LISTING.with_keys(fields))


class MongoProductStore:
    """``storage.protocol.ProductStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._db = runner.db
        self._products = runner.db[PRODUCTS]
        self._categories = runner.db[CATEGORIES]

    async def create(self, data: ProductCreate) -> Product:
        """Insert a product; with a category, in one transaction with the category check."""
        doc = new_document({**_stored(data.model_dump()), "deleted_at": None})
        doc["_id"] = await self._run.run(lambda: next_id(self._db, PRODUCTS))
        if data.category_id is None:
            await self._run.run(lambda: self._products.insert_one(doc))
            return to_product(doc, None)

        async def insert(session: Session) -> Document:
            assert data.category_id is not None
            category = await self._run.guard(
                session, CATEGORIES, data.category_id, CATEGORY_NOT_FOUND
            )
            await self._products.insert_one(doc, session=session)
            return category

        return to_product(doc, await self._run.transaction(insert))

    async def create_many(self, data: list[ProductCreate]) -> list[Product]:
        """Insert all products or none: one counter step, one transaction with its categories."""
        docs = [new_document({**_stored(p.model_dump()), "deleted_at": None}) for p in data]
        ids = await self._run.run(lambda: reserve_ids(self._db, PRODUCTS, len(docs)))
        for doc, doc_id in zip(docs, ids, strict=True):
            doc["_id"] = doc_id
        wanted = sorted({p.category_id for p in data if p.category_id is not None})

        async def insert(session: Session) -> dict[int, Document]:
            # Writing every named category makes a concurrent delete of one conflict.
            await self._categories.update_many(
                {"_id": {"$in": wanted}}, {"$inc": {GUARD: 1}}, session=session
            )
            found = await find_by_ids(self._categories, set(wanted), session)
            missing = [category_id for category_id in wanted if category_id not in found]
            if missing:
                details = [
                    {"index": index, "category_id": product.category_id}
                    for index, product in enumerate(data)
                    if product.category_id in missing
                ]
                raise NotFound(categories_missing(missing), details=details)
            await self._products.insert_many(docs, ordered=True, session=session)
            return found

        categories = await self._run.transaction(insert)
        return [to_product(doc, categories.get(doc["category_id"])) for doc in docs]

    async def get(self, product_id: int) -> Product:
        """Return one product with its category, or raise ``NotFound``."""

        async def read(session: Session) -> tuple[Document | None, Document | None]:
            doc = await self._products.find_one({"_id": product_id, **LIVE}, session=session)
            return doc, await self._category_of(session, doc)

        doc, category = await self._run.snapshot(read)
        if doc is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        return to_product(doc, category)

    async def list(self, query: ProductQuery) -> Page[Product]:
        """Return a page of products matching the filters, categories embedded."""

        async def read(session: Session) -> Page[Product]:
            docs, total = await find_page(self._products, query_filter(query), query, session)
            ids = {d["category_id"] for d in docs if d["category_id"] is not None}
            categories = await find_by_ids(self._categories, ids, session)
            items = [to_product(d, categories.get(d["category_id"])) for d in docs]
            return Page.of(items, query, total)

        return await self._run.snapshot(read)

    async def update(
        self, product_id: int, changes: ProductUpdate, expected: str | None = None
    ) -> Product:
        """Set the sent fields and ``updated_at``; ``category_id`` may be cleared with None.

        Filing the product under a category, or honouring an If-Match, is one
        transaction with the checks (see ``MongoCategoryStore.delete``).
        """
        fields = _stored(changes.changes())

        async def update(session: Session | None) -> tuple[Document, Document | None]:
            current = None
            if expected is not None:
                current = await self._current(session, product_id, expected)
            # The product is the resource named by the path: report it missing first.
            doc = await update_fields(self._products, product_id, fields, session, current, LIVE)
            if doc is None:
                if current is not None:
                    versioned(None)  # it was there, at another version
                raise NotFound(PRODUCT_NOT_FOUND)
            category_id = doc["category_id"]
            if session is not None and category_id is not None and "category_id" in fields:
                missing = CATEGORY_NOT_FOUND
                return doc, await self._run.guard(session, CATEGORIES, category_id, missing)
            return doc, await self._category_of(session, doc)

        if fields.get("category_id") is not None or expected is not None:
            doc, category = await self._run.transaction(update)
        else:
            doc, category = await self._run.run(lambda: update(None))
        return to_product(doc, category)

    async def delete(self, product_id: int, expected: str | None = None) -> None:
        """Hide a product (soft delete) or raise ``NotFound``."""
        now = utc_now()
        hide: Document = {"deleted_at": now}

        async def delete(session: Session | None) -> Document | None:
            current = None
            if expected is not None:
                current = await self._current(session, product_id, expected)
            return await update_fields(self._products, product_id, hide, session, current, LIVE)

        if expected is None:
            doc = await self._run.run(lambda: delete(None))
        else:
            doc = await self._run.transaction(delete)
        if doc is None:
            raise NotFound(PRODUCT_NOT_FOUND)

    async def restore(self, product_id: int) -> Product:
        """Bring a deleted product back; ``Conflict`` if it is not deleted."""

        async def restore(session: Session) -> tuple[Document, Document | None]:
            doc = await self._products.find_one_and_update(
                {"_id": product_id, "deleted_at": {"$ne": None}},
                {"$set": {"deleted_at": None, "updated_at": utc_now()}, "$inc": {"version": 1}},
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if doc is None:
                found = {"_id": product_id}
                exists = await self._products.find_one(found, {"_id": 1}, session=session)
                raise Conflict(PRODUCT_NOT_DELETED) if exists else NotFound(PRODUCT_NOT_FOUND)
            return doc, await self._category_of(session, doc)

        doc, category = await self._run.transaction(restore)
        return to_product(doc, category)

    async def _current(self, session: Session | None, product_id: int, expected: str) -> Document:
        """The live product as it is in this transaction, checked against ``expected``."""
        doc = await self._products.find_one({"_id": product_id, **LIVE}, session=session)
        if doc is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        ensure_current(to_product(doc, await self._category_of(session, doc)), expected)
        return doc

    async def _category_of(self, session: Session | None, doc: Document | None) -> Document | None:
        if doc is None or doc["category_id"] is None:
            return None
        return await self._categories.find_one({"_id": doc["category_id"]}, session=session)
