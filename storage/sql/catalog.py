"""Categories and products on SQL."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.errors import Conflict, NotFound
from storage.messages import CATEGORY_HAS_PRODUCTS, CATEGORY_NOT_FOUND, PRODUCT_NOT_FOUND
from storage.sql.database import Database, lock_row
from storage.sql.queries import columns_of, count, order_by, prefixed, shown, unprefixed, where
from storage.sql.tables import CategoryRow, ProductRow, categories_table, products_table
from storage.types import (
    CATEGORIES,
    PRODUCTS,
    Category,
    CategoryCreate,
    CategoryQuery,
    CategoryUpdate,
    Page,
    Product,
    ProductCreate,
    ProductQuery,
    ProductUpdate,
    utc_now,
)

CATEGORY = "category__"
CATEGORY_COLUMNS = columns_of(categories_table)
PRODUCT_COLUMNS = columns_of(products_table)


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
        async with self._db.read() as conn:
            row = (await conn.execute(CATEGORY_BY_ID, {"id": category_id})).mappings().first()
        if row is None:
            raise NotFound(CATEGORY_NOT_FOUND)
        return Category.model_validate(row)

    async def list(self, query: CategoryQuery) -> Page[Category]:
        statement = select(*shown(categories_table))
        async with self._db.read() as conn:
            total = await count(conn, statement)
            statement = order_by(
                statement, query, CATEGORY_COLUMNS, categories_table.c.id, self._db.dialect
            )
            result = await conn.execute(statement.offset(query.skip).limit(query.limit))
            items = [Category.model_validate(row) for row in result.mappings()]
        return Page(items=items, total=total, skip=query.skip, limit=query.limit)

    async def update(self, category_id: int, changes: CategoryUpdate) -> Category:
        async with self._db.write() as session:
            await lock_row(session, CategoryRow.id, category_id)
            row = await _category(session, category_id)
            fields = CATEGORIES.with_keys(changes.changes())
            if fields:
                for name, value in fields.items():
                    setattr(row, name, value)
                row.updated_at = utc_now()
                await session.flush()
        return Category.model_validate(row)

    async def delete(self, category_id: int) -> None:
        # ON DELETE RESTRICT: the database refuses while a product refers to it.
        refused = partial(Conflict, CATEGORY_HAS_PRODUCTS)
        async with self._db.write(on_foreign_key=refused) as session:
            result = await session.execute(delete(CategoryRow).where(CategoryRow.id == category_id))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(CATEGORY_NOT_FOUND)


async def _category(session: AsyncSession, category_id: int) -> CategoryRow:
    row = await session.get(CategoryRow, category_id)
    if row is None:
        raise NotFound(CATEGORY_NOT_FOUND)
    return row


class SqlProductStore:
    """``storage.protocol.ProductStore`` on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, data: ProductCreate) -> Product:
        now = utc_now()
        # A foreign-key failure means the category was deleted meanwhile.
        async with self._db.write(on_foreign_key=partial(NotFound, CATEGORY_NOT_FOUND)) as session:
            category = None
            if data.category_id is not None:
                category = await _category(session, data.category_id)
            row = ProductRow(
                **PRODUCTS.with_keys(data.model_dump(exclude={"category_id"})),
                category=category,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            return Product.model_validate(row)

    async def get(self, product_id: int) -> Product:
        async with self._db.read() as conn:
            row = (await conn.execute(PRODUCT_BY_ID, {"id": product_id})).mappings().first()
        if row is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        return _to_product(row)

    async def list(self, query: ProductQuery) -> Page[Product]:
        clauses = where(query, PRODUCT_COLUMNS)
        async with self._db.read() as conn:
            total = await count(conn, select(products_table.c.id).where(*clauses))
            statement = order_by(
                _products_with_categories().where(*clauses),
                query,
                PRODUCT_COLUMNS,
                products_table.c.id,
                self._db.dialect,
            )
            result = await conn.execute(statement.offset(query.skip).limit(query.limit))
            items = [_to_product(row) for row in result.mappings()]
        return Page(items=items, total=total, skip=query.skip, limit=query.limit)

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        async with self._db.write(on_foreign_key=partial(NotFound, CATEGORY_NOT_FOUND)) as session:
            row = await _locked_product(session, product_id)
            fields = PRODUCTS.with_keys(changes.changes())
            if fields:
                if "category_id" in fields:
                    category_id = fields.pop("category_id")
                    row.category = (
                        None if category_id is None else await _category(session, category_id)
                    )
                for name, value in fields.items():
                    setattr(row, name, value)
                row.updated_at = utc_now()
                await session.flush()
            return Product.model_validate(row)

    async def delete(self, product_id: int) -> None:
        async with self._db.write() as session:
            result = await session.execute(delete(ProductRow).where(ProductRow.id == product_id))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(PRODUCT_NOT_FOUND)


async def _locked_product(session: AsyncSession, product_id: int) -> ProductRow:
    await lock_row(session, ProductRow.id, product_id)
    row = await session.get(ProductRow, product_id, options=[joinedload(ProductRow.category)])
    if row is None:
        raise NotFound(PRODUCT_NOT_FOUND)
    return row


def _products_with_categories() -> Select[Any]:
    # Many-to-one, outer: one row per product, category columns null if it has none.
    return select(*shown(products_table), *prefixed(categories_table, CATEGORY)).outerjoin(
        categories_table, categories_table.c.id == products_table.c.category_id
    )


CATEGORY_BY_ID = select(*shown(categories_table)).where(categories_table.c.id == bindparam("id"))
PRODUCT_BY_ID = _products_with_categories().where(products_table.c.id == bindparam("id"))


def _to_product(row: RowMapping) -> Product:
    category = unprefixed(row, CATEGORY) if row["category_id"] is not None else None
    return Product(
        id=row["id"],
        name=row["name"],
        price=row["price"],
        stock=row["stock"],
        category=Category.model_validate(category) if category else None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
