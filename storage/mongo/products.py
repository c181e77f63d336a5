"""Products in the ``products`` collection, returned with their category embedded.

Prices are stored as integer cents (``price_cents``); see ``storage.money``.
A page costs three round trips at any page size: page, count, one ``$in`` for
categories, read from one snapshot.
"""

from __future__ import annotations

from typing import Any

from storage.errors import NotFound
from storage.messages import CATEGORY_NOT_FOUND, PRODUCT_NOT_FOUND
from storage.money import from_cents
from storage.mongo.categories import to_category
from storage.mongo.documents import (
    CATEGORIES,
    PRODUCTS,
    Document,
    Session,
    find_by_ids,
    find_page,
    next_id,
    update_fields,
)
from storage.mongo.queries import CONVERT, query_filter, sort_spec, stored
from storage.mongo.runner import Runner
from storage.types import PRODUCTS as LISTING
from storage.types import Page, Product, ProductCreate, ProductQuery, ProductUpdate, utc_now


def to_product(doc: Document, category: Document | None) -> Product:
    """Build the API model from a stored product and its category's document (or None)."""
    return Product(
        id=doc["_id"],
        name=doc["name"],
        price=from_cents(doc["price_cents"]),
        stock=doc["stock"],
        category=None if category is None else to_category(category),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


def _stored(fields: dict[str, Any]) -> Document:
    # Declared field names and values -> document field names and values, keys added.
    doc: Document = {}
    for name, value in LISTING.with_keys(fields).items():
        doc[stored(name)] = CONVERT[name](value) if name in CONVERT else value
    return doc


class MongoProductStore:
    """``storage.protocol.ProductStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._db = runner.db
        self._products = runner.db[PRODUCTS]
        self._categories = runner.db[CATEGORIES]

    async def create(self, data: ProductCreate) -> Product:
        """Insert a product; with a category, in one transaction with the category check."""
        now = utc_now()
        doc: Document = {**_stored(data.model_dump()), "created_at": now, "updated_at": now}
        doc["_id"] = await self._run.run(lambda: next_id(self._db, PRODUCTS))

        async def insert(session: Session) -> Document | None:
            category = None
            if data.category_id is not None:
                category = await self._run.guard(
                    session, CATEGORIES, data.category_id, CATEGORY_NOT_FOUND
                )
            await self._products.insert_one(doc, session=session)
            return category

        if data.category_id is None:
            await self._run.run(lambda: self._products.insert_one(doc))
            return to_product(doc, None)
        return to_product(doc, await self._run.transaction(insert))

    async def get(self, product_id: int) -> Product:
        """Return one product with its category, or raise ``NotFound``."""

        async def read(session: Session) -> tuple[Document | None, Document | None]:
            doc = await self._products.find_one({"_id": product_id}, session=session)
            if doc is None or doc["category_id"] is None:
                return doc, None
            return doc, await self._categories.find_one(
                {"_id": doc["category_id"]}, session=session
            )

        doc, category = await self._run.snapshot(read)
        if doc is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        return to_product(doc, category)

    async def list(self, query: ProductQuery) -> Page[Product]:
        """Return a page of products matching the filters, categories embedded."""

        async def read(session: Session) -> Page[Product]:
            docs, total = await find_page(
                self._products, query_filter(query), query, sort_spec(query.sort_key), session
            )
            ids = {d["category_id"] for d in docs if d["category_id"] is not None}
            categories = await find_by_ids(self._categories, ids, session)
            items = [to_product(d, categories.get(d["category_id"])) for d in docs]
            return Page(items=items, total=total, skip=query.skip, limit=query.limit)

        return await self._run.snapshot(read)

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        """Set the sent fields and ``updated_at``; ``category_id`` may be cleared with None.

        Filing the product under a category is one transaction with the check
        that the category exists (see ``MongoCategoryStore.delete``).
        """
        fields = _stored(changes.changes())

        async def update(session: Session | None) -> tuple[Document, Document | None]:
            # The product is the resource named by the path: report it missing first.
            doc = await update_fields(self._products, product_id, fields, session)
            if doc is None:
                raise NotFound(PRODUCT_NOT_FOUND)
            category_id = doc["category_id"]
            if category_id is None:
                return doc, None
            if session is not None and "category_id" in fields:
                missing = CATEGORY_NOT_FOUND
                return doc, await self._run.guard(session, CATEGORIES, category_id, missing)
            return doc, await self._categories.find_one({"_id": category_id}, session=session)

        if fields.get("category_id") is not None:
            doc, category = await self._run.transaction(update)
        else:
            doc, category = await self._run.run(lambda: update(None))
        return to_product(doc, category)

    async def delete(self, product_id: int) -> None:
        """Delete one product or raise ``NotFound``."""
        result = await self._run.run(lambda: self._products.delete_one({"_id": product_id}))
        if result.deleted_count == 0:
            raise NotFound(PRODUCT_NOT_FOUND)
