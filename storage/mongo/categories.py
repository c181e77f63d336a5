"""Categories in the ``categories`` collection.

Names keep the case they were given; ``name_key`` (the folded name) carries the
unique index, so "Books" and "BOOKS" cannot both exist.
"""

from __future__ import annotations

from storage.errors import Conflict, NotFound
from storage.messages import CATEGORY_HAS_PRODUCTS, CATEGORY_NOT_FOUND
from storage.mongo.documents import (
    CATEGORIES,
    GUARD,
    PRODUCTS,
    Document,
    Session,
    find_page,
    new_document,
    next_id,
    update_fields,
    versioned,
)
from storage.mongo.fields import from_document
from storage.mongo.runner import Runner
from storage.types import CATEGORIES as LISTING
from storage.types import (
    Category,
    CategoryCreate,
    CategoryQuery,
    CategoryUpdate,
    Page,
    ensure_current,
)


def to_category(doc: Document) -> Category:
    """Build the API model from a stored category document."""
    return Category.model_validate(from_document(Category, doc))


class MongoCategoryStore:
    """``storage.protocol.CategoryStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._db = runner.db
        self._categories = runner.db[CATEGORIES]
        self._products = runner.db[PRODUCTS]

    async def create(self, data: CategoryCreate) -> Category:
        """Insert a category; the unique index on ``name_key`` decides conflicts."""
        doc = new_document({**LISTING.with_keys(data.model_dump()), GUARD: 0})

        async def insert() -> None:
            doc["_id"] = await next_id(self._db, CATEGORIES)
            await self._categories.insert_one(doc)

        await self._run.run(insert)
        return to_category(doc)

    async def get(self, category_id: int) -> Category:
        """Return one category or raise ``NotFound``."""
        doc = await self._run.run(lambda: self._categories.find_one({"_id": category_id}))
        if doc is None:
            raise NotFound(CATEGORY_NOT_FOUND)
        return to_category(doc)

    async def list(self, query: CategoryQuery) -> Page[Category]:
        """Return a page of categories in the requested order."""
        docs, total = await self._run.run(lambda: find_page(self._categories, {}, query))
        return Page.of([to_category(d) for d in docs], query, total)

    async def update(
        self, category_id: int, changes: CategoryUpdate, expected: str | None = None
    ) -> Category:
        """Set the sent fields (a new name moves ``name_key`` with it) and ``updated_at``."""
        fields = LISTING.with_keys(changes.changes())

        async def update(session: Session | None) -> Document | None:
            if expected is None:
                return await update_fields(self._categories, category_id, fields, session)
            current = await self._current(session, category_id, expected)
            doc = await update_fields(self._categories, category_id, fields, session, current)
            return versioned(doc)

        if expected is None:
            doc = await self._run.run(lambda: update(None))
        else:
            doc = await self._run.transaction(update)
        if doc is None:
            raise NotFound(CATEGORY_NOT_FOUND)
        return to_category(doc)

    async def delete(self, category_id: int, expected: str | None = None) -> None:
        """Delete a category that no live product uses, in one transaction.

        A product being filed under it meanwhile writes the category's document
        (``Runner.guard``), so the two transactions conflict and one is retried:
        the product then finds no category (404), or this delete finds the
        product (409). No product is ever left naming a missing category.
        Deleted products that still name it lose their category.
        """

        async def delete(session: Session) -> None:
            current = await self._current(session, category_id, expected)
            filter_ = {"_id": category_id, "version": current["version"]}
            result = await self._categories.delete_one(filter_, session=session)
            if result.deleted_count == 0:
                versioned(None)
            live = {"category_id": category_id, "deleted_at": None}
            if await self._products.find_one(live, {"_id": 1}, session=session) is not None:
                raise Conflict(CATEGORY_HAS_PRODUCTS)  # aborts: the category stays
            await self._products.update_many(
                {"category_id": category_id},
                {"$set": {"category_id": None}, "$inc": {"version": 1}},
                session=session,
            )

        await self._run.transaction(delete)

    async def _current(
        self, session: Session | None, category_id: int, expected: str | None
    ) -> Document:
        """The category as it is in this transaction, checked against ``expected``."""
        doc = await self._categories.find_one({"_id": category_id}, session=session)
        if doc is None:
            raise NotFound(CATEGORY_NOT_FOUND)
        ensure_current(to_category(doc), expected)
        return doc
