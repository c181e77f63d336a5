"""Categories in the ``categories`` collection.

Names keep the case they were given; ``name_key`` (the lower-cased name) carries
the unique index, so "Books" and "books" cannot both exist.
"""

from __future__ import annotations

import logging
from typing import Any

from storage.errors import Conflict, NotFound
from storage.messages import CATEGORY_HAS_PRODUCTS, CATEGORY_NAME_TAKEN, CATEGORY_NOT_FOUND
from storage.mongo.documents import (
    CATEGORIES,
    PRODUCTS,
    Collection,
    Database,
    Document,
    find_page,
    next_id,
    sort_spec,
    update_fields,
)
from storage.mongo.errors import translate_errors
from storage.types import Category, CategoryCreate, CategoryQuery, CategoryUpdate, Page, utc_now

logger = logging.getLogger(__name__)


def to_category(doc: Document) -> Category:
    """Build the API model from a stored category document."""
    return Category(
        id=doc["_id"],
        name=doc["name"],
        description=doc["description"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


def name_key(name: str) -> str:
    """The form of a category name that must be unique."""
    return name.lower()


class MongoCategoryStore:
    """``storage.protocol.CategoryStore`` on MongoDB."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._categories = db[CATEGORIES]
        self._products = db[PRODUCTS]

    async def create(self, data: CategoryCreate) -> Category:
        """Insert a category; the unique index on ``name_key`` decides conflicts."""
        now = utc_now()
        with translate_errors(duplicate=CATEGORY_NAME_TAKEN):
            doc: Document = {
                "_id": await next_id(self._db, CATEGORIES),
                "name": data.name,
                "name_key": name_key(data.name),
                "description": data.description,
                "created_at": now,
                "updated_at": now,
            }
            await self._categories.insert_one(doc)
        return to_category(doc)

    async def get(self, category_id: int) -> Category:
        """Return one category or raise ``NotFound``."""
        with translate_errors():
            doc = await self._categories.find_one({"_id": category_id})
        if doc is None:
            raise NotFound(CATEGORY_NOT_FOUND)
        return to_category(doc)

    async def list(self, query: CategoryQuery) -> Page[Category]:
        """Return a page of categories in the requested order."""
        with translate_errors():
            docs, total = await find_page(self._categories, {}, query, sort_spec(query.sort_key))
        items = [to_category(d) for d in docs]
        return Page(items=items, total=total, skip=query.skip, limit=query.limit)

    async def update(self, category_id: int, changes: CategoryUpdate) -> Category:
        """Set the sent fields (a new name moves ``name_key`` with it) and ``updated_at``."""
        fields: dict[str, Any] = changes.changes()
        if "name" in fields:
            fields["name_key"] = name_key(fields["name"])
        with translate_errors(duplicate=CATEGORY_NAME_TAKEN):
            doc = await update_fields(self._categories, category_id, fields)
        if doc is None:
            raise NotFound(CATEGORY_NOT_FOUND)
        return to_category(doc)

    async def delete(self, category_id: int) -> None:
        """Delete a category that no product uses.

        No transaction ties "no product uses it" to the delete, so the delete is
        compensated, paired with the compensation in ``MongoProductStore``. Each side
        checks after its own write: the category's delete is followed by a look for
        products filed under it, a product's write by a look for its category. The
        server orders single-document operations, so whichever write comes second is
        followed by a check that sees the first. Delete first: the product's check
        finds the category gone and takes the product back (404). Product first: this
        check finds the product and the category is put back as it was (409). Both may
        fire, undoing both. Either way no product is left with a category_id whose
        category is gone, as SQL's ON DELETE RESTRICT guarantees; readers may see the
        category missing for the moment it takes to put it back.
        """
        with translate_errors():
            if await self._categories.find_one({"_id": category_id}, {"_id": 1}) is None:
                raise NotFound(CATEGORY_NOT_FOUND)
            # The common case, refused before anything is written.
            if await self._products.find_one({"category_id": category_id}, {"_id": 1}):
                raise Conflict(CATEGORY_HAS_PRODUCTS)
            doc = await self._categories.find_one_and_delete({"_id": category_id})
            if doc is None:
                raise NotFound(CATEGORY_NOT_FOUND)  # deleted by someone else meanwhile
            if await _recheck_products(self._products, category_id) and await self._put_back(doc):
                raise Conflict(CATEGORY_HAS_PRODUCTS)

    async def _put_back(self, doc: Document) -> bool:
        # Re-insert the deleted document unchanged (same _id, name and timestamps).
        try:
            with translate_errors():
                await self._categories.insert_one(doc)
        except Conflict:
            # Its name was taken in the moment it was free, so it cannot come back. Keep
            # the references valid instead: the delete stands, as if it had come after the
            # products' writes with ON DELETE SET NULL. Rare enough to log.
            logger.warning("category %s not restored (name taken); products detached", doc["_id"])
            with translate_errors():
                filed = {"category_id": doc["_id"]}
                await self._products.update_many(filed, {"$set": {"category_id": None}})
            return False
        return True


async def _recheck_products(products: Collection, category_id: int) -> bool:
    """Whether a product is filed under the category: the check after the delete.

    A module-level function so tests can interleave a product write right before it.
    """
    return await products.find_one({"category_id": category_id}, {"_id": 1}) is not None
