"""Categories on SQL."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import Conflict, NotFound
from storage.messages import CATEGORY_HAS_PRODUCTS, CATEGORY_NOT_FOUND
from storage.sql.database import Database, lock_row
from storage.sql.prepared import Read, query
from storage.sql.queries import columns_of, page_of, paged, shown, where
from storage.sql.tables import CategoryRow, ProductRow, categories_table
from storage.types import (
    CATEGORIES,
    Category,
    CategoryCreate,
    CategoryQuery,
    CategoryUpdate,
    Page,
    ensure_current,
    utc_now,
)

COLUMNS = columns_of(categories_table)
CATEGORY_BY_ID = select(*shown(categories_table)).where(categories_table.c.id == bindparam("id"))


def _category(category_id: int) -> Read[Category]:
    rows = yield query(CATEGORY_BY_ID, id=category_id)
    if not rows:
        raise NotFound(CATEGORY_NOT_FOUND)
    return Category.model_validate(rows[0])


class SqlCategoryStore:
    """``storage.protocol.CategoryStore`` on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, data: CategoryCreate) -> Category:
        now = utc_now()
        row = CategoryRow(**CATEGORIES.with_keys(data.model_dump()), created_at=now, updated_at=now)
        async with self._db.write() as session:
            session.add(row)
            await session.flush()
        return Category.model_validate(row)

    async def get(self, category_id: int) -> Category:
        return await self._db.reads.run(_category(category_id), by_key=True)

    async def list(self, query: CategoryQuery) -> Page[Category]:
        def matching(_dialect: str) -> Select[Any]:
            return select(categories_table.c.id).where(*where(query, COLUMNS))

        def page(dialect: str) -> Select[Any]:
            statement = select(*shown(categories_table)).where(*where(query, COLUMNS))
            return paged(statement, query, COLUMNS, categories_table.c.id, dialect)

        return await self._db.reads.run(page_of(query, matching, page, Category.model_validate))

    async def update(
        self, category_id: int, changes: CategoryUpdate, expected: str | None = None
    ) -> Category:
        async with self._db.write() as session:
            row = await locked_category(session, category_id)
            ensure_current(Category.model_validate(row), expected)
            fields = CATEGORIES.with_keys(changes.changes())
            if fields:
                for name, value in fields.items():
                    setattr(row, name, value)
                row.updated_at = utc_now()
                await session.flush()
        return Category.model_validate(row)

    async def delete(self, category_id: int, expected: str | None = None) -> None:
        refused = partial(Conflict, CATEGORY_HAS_PRODUCTS)
        async with self._db.write(on_foreign_key=refused) as session:
            row = await locked_category(session, category_id)
            ensure_current(Category.model_validate(row), expected)
            # Deleted products stay for their orders but no longer hold their
            # category: they lose it (and come back without one if restored).
            await session.execute(
                update(ProductRow)
                .where(ProductRow.category_id == category_id, ProductRow.deleted_at.is_not(None))
                .values(category_id=None, version=ProductRow.version + 1)
                .execution_options(synchronize_session=False)
            )
            # ON DELETE RESTRICT: the database refuses while a live product refers to it.
            await session.execute(delete(CategoryRow).where(CategoryRow.id == category_id))


async def locked_category(session: AsyncSession, category_id: int) -> CategoryRow:
    """The category row, locked until the transaction ends. Raises ``NotFound``."""
    await lock_row(session, CategoryRow.id, category_id)
    row = await session.get(CategoryRow, category_id)
    if row is None:
        raise NotFound(CATEGORY_NOT_FOUND)
    return row
