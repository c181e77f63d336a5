"""Categories in the ``categories`` collection.

Names keep the case they were given; ``name_key`` (the lower-cased name) carries
the unique index, so "Books" and "books" cannot both exist.
"""

from __future__ import annotations

from typing import Any

from storage.errors import Conflict, NotFound
from storage.messages import CATEGORY_HAS_PRODUCTS, CATEGORY_NAME_TAKEN, CATEGORY_NOT_FOUND
from storage.mongo.documents import (
    CATEGORIES,
    PRODUCTS,
    Database,
    Document,
    find_page,
    next_id,
    sort_spec,
    update_fields,
)
from storage.mongo.errors import translate_errors
from storage.types import Category, CategoryCreate, CategoryQuery, CategoryUpdate, Page, utc_now


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
        """Delete a category that no product uses."""
        with translate_errors():
            if await self._categories.find_one({"_id": category_id}, {"_id": 1}) is None:
                raise NotFound(CATEGORY_NOT_FOUND)
            # Check-then-delete: without a transaction a product filed under the
            # category at this very moment keeps a dangling category_id, which
            # products then show as category null.
            if await self._products.find_one({"category_id": category_id}, {"_id": 1}):
                raise Conflict(CATEGORY_HAS_PRODUCTS)
            result = await self._categories.delete_one({"_id": category_id})
        if result.deleted_count == 0:
            raise NotFound(CATEGORY_NOT_FOUND)
