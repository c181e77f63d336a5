"""Products in the ``products`` collection, returned with their category embedded.

Prices are stored as integer cents (``price_cents``); see ``storage.money``.
A page costs three round trips at any page size: page, count, one ``$in`` for categories.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from storage.errors import NotFound
from storage.messages import CATEGORY_NOT_FOUND, PRODUCT_NOT_FOUND
from storage.money import from_cents, to_cents
from storage.mongo.categories import to_category
from storage.mongo.documents import (
    CATEGORIES,
    PRODUCTS,
    Collection,
    Database,
    Document,
    contains,
    find_by_ids,
    find_page,
    next_id,
    sort_spec,
    update_fields,
)
from storage.mongo.errors import translate_errors
from storage.types import Page, Product, ProductCreate, ProductQuery, ProductUpdate, utc_now

_STORED_FIELDS = {"price": "price_cents"}


def to_product(doc: Document, category: Document | None) -> Product:
    """Build the API model from a stored product and its category's document (or None).

    A ``category_id`` whose category is gone shows as no category; that lasts only
    while a racing write and category delete compensate (``MongoCategoryStore.delete``).
    """
    return Product(
        id=doc["_id"],
        name=doc["name"],
        price=from_cents(doc["price_cents"]),
        stock=doc["stock"],
        category=None if category is None else to_category(category),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


def _filter(query: ProductQuery) -> Document:
    filter_: Document = {}
    if query.category_id is not None:
        filter_["category_id"] = query.category_id
    price: Document = {}
    # Bounds rounded inwards to whole cents (shared with SQL) keep exactly the products
    # an exact Decimal comparison would: price >= 19.991 <=> price_cents >= 2000.
    low, high = query.price_range_in_cents()
    if low is not None:
        price["$gte"] = to_cents(low)
    if high is not None:
        price["$lte"] = to_cents(high)
    if price:
        filter_["price_cents"] = price
    if query.in_stock is not None:
        filter_["stock"] = {"$gt": 0} if query.in_stock else 0
    if query.q is not None:
        filter_["name"] = contains(query.q)
    return filter_


def _stored(fields: dict[str, Any]) -> Document:
    # API field names and values -> document field names and values.
    doc = dict(fields)
    if "price" in doc:
        doc["price_cents"] = to_cents(doc.pop("price"))
    return doc


class MongoProductStore:
    """``storage.protocol.ProductStore`` on MongoDB."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._products = db[PRODUCTS]
        self._categories = db[CATEGORIES]

    async def create(self, data: ProductCreate) -> Product:
        """Insert a product; ``NotFound`` if its category does not exist.

        The category is checked again after the insert and the product taken back if
        it is gone: the compensation paired with ``MongoCategoryStore.delete``.
        """
        now = utc_now()
        with translate_errors():
            category = await self._category(data.category_id)
            doc: Document = {
                "_id": await next_id(self._db, PRODUCTS),
                **_stored(data.model_dump()),
                "created_at": now,
                "updated_at": now,
            }
            await self._products.insert_one(doc)
            if data.category_id is not None and not await _recheck_category(
                self._categories, data.category_id
            ):
                await self._products.delete_one({"_id": doc["_id"]})
                raise NotFound(CATEGORY_NOT_FOUND)
        return to_product(doc, category)

    async def get(self, product_id: int) -> Product:
        """Return one product with its category, or raise ``NotFound``."""
        with translate_errors():
            doc = await self._products.find_one({"_id": product_id})
            if doc is None:
                raise NotFound(PRODUCT_NOT_FOUND)
            category = await self._category(doc["category_id"], required=False)
        return to_product(doc, category)

    async def list(self, query: ProductQuery) -> Page[Product]:
        """Return a page of products matching the filters, categories embedded."""
        sort = sort_spec(query.sort_key, _STORED_FIELDS)
        with translate_errors():
            docs, total = await find_page(self._products, _filter(query), query, sort)
            ids = {d["category_id"] for d in docs if d["category_id"] is not None}
            categories = await find_by_ids(self._categories, ids)
        items = [to_product(d, categories.get(d["category_id"])) for d in docs]
        return Page(items=items, total=total, skip=query.skip, limit=query.limit)

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        """Set the sent fields and ``updated_at``; ``category_id`` may be cleared with None."""
        fields = changes.changes()
        new_category_id = fields.get("category_id")
        if new_category_id is not None:
            return await self._file_under(product_id, new_category_id, _stored(fields))
        with translate_errors():
            doc = await update_fields(self._products, product_id, _stored(fields))
            if doc is None:
                raise NotFound(PRODUCT_NOT_FOUND)
            category = await self._category(doc["category_id"], required=False)
        return to_product(doc, category)

    async def _file_under(self, product_id: int, category_id: int, fields: Document) -> Product:
        # An update naming a category: written, then the category checked again and the
        # write taken back if it is gone (the pair of MongoCategoryStore.delete).
        with translate_errors():
            # The product is the resource named by the path: report it missing first.
            if await self._products.find_one({"_id": product_id}, {"_id": 1}) is None:
                raise NotFound(PRODUCT_NOT_FOUND)
            category = await self._category(category_id)
            now = utc_now()
            before = await self._products.find_one_and_update(
                {"_id": product_id},
                {"$set": {**fields, "updated_at": now}},
                return_document=ReturnDocument.BEFORE,
            )
            if before is None:
                raise NotFound(PRODUCT_NOT_FOUND)
            if not await _recheck_category(self._categories, category_id):
                await self._undo_update(before, fields)
                raise NotFound(CATEGORY_NOT_FOUND)
        return to_product({**before, **fields, "updated_at": now}, category)

    async def _undo_update(self, before: Document, written: Document) -> None:
        # Put back every field written if all still hold what was written; if the product
        # was patched since, put back only category_id, and only if it is still ours (a
        # later category write is checked by its own writer). updated_at stays moved.
        product = {"_id": before["_id"]}
        result = await self._products.update_one(
            {**product, **written}, {"$set": {name: before[name] for name in written}}
        )
        if result.matched_count == 0:
            result = await self._products.update_one(
                {**product, "category_id": written["category_id"]},
                {"$set": {"category_id": before["category_id"]}},
            )
        # Filing the product back under its old category is a category write too: if that
        # category was deleted while the product was away from it, file it under none.
        old = before["category_id"]
        if (
            result.matched_count
            and old is not None
            and not await _recheck_category(self._categories, old)
        ):
            await self._products.update_one(
                {**product, "category_id": old}, {"$set": {"category_id": None}}
            )

    async def delete(self, product_id: int) -> None:
        """Delete one product or raise ``NotFound``."""
        with translate_errors():
            result = await self._products.delete_one({"_id": product_id})
        if result.deleted_count == 0:
            raise NotFound(PRODUCT_NOT_FOUND)

    async def _category(self, category_id: int | None, *, required: bool = True) -> Document | None:
        # None for "no category"; NotFound for a missing one unless merely displaying.
        if category_id is None:
            return None
        category = await self._categories.find_one({"_id": category_id})
        if category is None and required:
            raise NotFound(CATEGORY_NOT_FOUND)
        return category


async def _recheck_category(categories: Collection, category_id: int) -> bool:
    """Whether the category exists: the check after a product write names it.

    A module-level function so tests can interleave a category delete right before it.
    """
    return await categories.find_one({"_id": category_id}, {"_id": 1}) is not None
