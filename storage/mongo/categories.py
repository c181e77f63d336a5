"""Categories in the ``categories`` collection.

Names keep the case they were given; ``name_key`` (the folded name) carries the
unique index, so "Books" and "BOOKS" cannot both exist.
"""

from __future__ import annotations

from storage.errors import Conflict, NotFound
from storage.messages import CATEGORY_HAS_PRODUCTS, CATEGORY_NAME_TAKEN, CATEGORY_NOT_FOUND
from storage.mongo.documents import (
    CATEGORIES,
    GUARD,
    PRODUCTS,
    Document,
    Session,
    find_page,
    next_id,
    update_fields,
)
from storage.mongo.queries import sort_spec
from storage.mongo.runner import Runner
from storage.types import CATEGORIES as LISTING
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


class MongoCategoryStore:
    """``storage.protocol.CategoryStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._db = runner.db
        self._categories = runner.db[CATEGORIES]
        self._products = runner.db[PRODUCTS]

    async def create(self, data: CategoryCreate) -> Category:
        """Insert a category; the unique index on ``name_key`` decides conflicts."""
        now = utc_now()
        doc: Document = {
            **LISTING.with_keys(data.model_dump()),
            GUARD: 0,
            "created_at": now,
            "updated_at": now,
        }

        async def insert() -> None:
            doc["_id"] = await next_id(self._db, CATEGORIES)
            await self._categories.insert_one(doc)

        await self._run.run(insert, duplicate=CATEGORY_NAME_TAKEN)
        return to_category(doc)

    async def get(self, category_id: int) -> Category:
        """Return one category or raise ``NotFound``."""
        doc = await self._run.run(lambda: self._categories.find_one({"_id": category_id}))
        if doc is None:
            raise NotFound(CATEGORY_NOT_FOUND)
        return to_category(doc)

    async def list(self, query: CategoryQuery) -> Page[Category]:
        """Return a page of categories in the requested order."""
        docs, total = await self._run.run(
            lambda: find_page(self._categories, {}, query, sort_spec(query.sort_key))
        )
        items = [to_category(d) for d in docs]
        return Page(items=items, total=total, skip=query.skip, limit=query.limit)

    async def update(self, category_id: int, changes: CategoryUpdate) -> Category:
        """Set the sent fields (a new name moves ``name_key`` with it) and ``updated_at``."""
        fields = LISTING.with_keys(changes.changes())
        doc = await self._run.run(
            lambda: update_fields(self._categories, category_id, fields),
            duplicate=CATEGORY_NAME_TAKEN,
        )
        if doc is None:
            raise NotFound(CATEGORY_NOT_FOUND)
        return to_category(doc)

    async def delete(self, category_id: int) -> None:
        """Delete a category that no product uses, in one transaction.

        A product being filed under it meanwhile writes the category's document
        (``Runner.guard``), so the two transactions conflict and one is retried:
        the product then finds no category (404), or this delete finds the
        product (409). No product is ever left naming a missing category.
        """

        async def delete(session: Session) -> None:
            result = await self._categories.delete_one({"_id": category_id}, session=session)
            if result.deleted_count == 0:
                raise NotFound(CATEGORY_NOT_FOUND)
            used = await self._products.find_one(
                {"category_id": category_id}, {"_id": 1}, session=session
            )
            if used is not None:
                raise Conflict(CATEGORY_HAS_PRODUCTS)  # aborts: the category stays

        await self._run.transaction(delete)
