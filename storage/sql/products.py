"""Products on SQL: with their category, soft-deleted and restored, created in bulk."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from sqlalchemy import Select, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.errors import Conflict, NotFound
from storage.messages import (
    CATEGORY_NOT_FOUND,
    PRODUCT_NOT_DELETED,
    PRODUCT_NOT_FOUND,
    categories_missing,
)
from storage.sql.database import Database, lock_row
from storage.sql.prepared import Read, query
from storage.sql.queries import Embedded, columns_of, page_of, paged, shown, where
from storage.sql.tables import CategoryRow, ProductRow, categories_table, products_table
from storage.types import (
    PRODUCTS,
    Category,
    Page,
    Product,
    ProductCreate,
    ProductQuery,
    ProductUpdate,
    ensure_current,
    utc_now,
)

CATEGORY = Embedded(categories_table, "category__")
COLUMNS = columns_of(products_table)


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
            return _from_row(row)

    async def create_many(self, data: list[ProductCreate]) -> list[Product]:
        now = utc_now()
        rows = [
            {**PRODUCTS.with_keys(product.model_dump()), "created_at": now, "updated_at": now}
            for product in data
        ]
        wanted = {p.category_id for p in data if p.category_id is not None}

        async def insert_all(session: AsyncSession) -> tuple[list[int], dict[int, Category]]:
            found = await session.scalars(select(CategoryRow).where(CategoryRow.id.in_(wanted)))
            categories = {row.id: Category.model_validate(row) for row in found}
            missing = sorted(wanted - set(categories))
            if missing:
                details = [
                    {"index": index, "category_id": product.category_id}
                    for index, product in enumerate(data)
                    if product.category_id in missing
                ]
                raise NotFound(categories_missing(missing), details=details)
            statement = insert(ProductRow).returning(ProductRow.id, sort_by_parameter_order=True)
            return list(await session.scalars(statement, rows)), categories

        refused = partial(NotFound, CATEGORY_NOT_FOUND)
        ids, categories = await self._db.transaction(insert_all, on_foreign_key=refused)
        return [
            Product(
                **row,
                id=row_id,
                category=categories.get(row["category_id"]) if row["category_id"] else None,
            )
            for row, row_id in zip(rows, ids, strict=True)
        ]

    async def get(self, product_id: int) -> Product:
        return await self._db.reads.run(_product(product_id), by_key=True)

    async def list(self, query: ProductQuery) -> Page[Product]:
        def matching(_dialect: str) -> Select[Any]:
            return select(products_table.c.id).where(*where(query, COLUMNS))

        def page(dialect: str) -> Select[Any]:
            statement = _products_with_categories().where(*where(query, COLUMNS))
            return paged(statement, query, COLUMNS, products_table.c.id, dialect)

        return await self._db.reads.run(page_of(query, matching, page, _from_mapping))

    async def update(
        self, product_id: int, changes: ProductUpdate, expected: str | None = None
    ) -> Product:
        async with self._db.write(on_foreign_key=partial(NotFound, CATEGORY_NOT_FOUND)) as session:
            row = await _locked_product(session, product_id)
            ensure_current(_from_row(row), expected)
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
            return _from_row(row)

    async def delete(self, product_id: int, expected: str | None = None) -> None:
        async with self._db.write() as session:
            row = await _locked_product(session, product_id)
            ensure_current(_from_row(row), expected)
            row.deleted_at = row.updated_at = utc_now()
            await session.flush()

    async def restore(self, product_id: int) -> Product:
        async with self._db.write() as session:
            row = await _locked_product(session, product_id, deleted=True)
            if row.deleted_at is None:
                raise Conflict(PRODUCT_NOT_DELETED)
            row.deleted_at = None
            row.updated_at = utc_now()
            await session.flush()
            return _from_row(row)


async def _category(session: AsyncSession, category_id: int) -> CategoryRow:
    # No lock: a category deleted after this read makes the foreign key refuse
    # the product's write (``on_foreign_key``: 404), so none can dangle.
    row = await session.get(CategoryRow, category_id)
    if row is None:
        raise NotFound(CATEGORY_NOT_FOUND)
    return row


async def _locked_product(
    session: AsyncSession, product_id: int, *, deleted: bool = False
) -> ProductRow:
    """The product row, locked; a deleted one counts as missing unless ``deleted``."""
    await lock_row(session, ProductRow.id, product_id)
    row = await session.get(ProductRow, product_id, options=[joinedload(ProductRow.category)])
    if row is None or (row.deleted_at is not None and not deleted):
        raise NotFound(PRODUCT_NOT_FOUND)
    return row


def _products_with_categories() -> Select[Any]:
    # Many-to-one, outer: one row per product, category columns null if it has none.
    return select(*shown(products_table), *CATEGORY.columns).outerjoin(
        categories_table, categories_table.c.id == products_table.c.category_id
    )


PRODUCT_BY_ID = _products_with_categories().where(products_table.c.id == bindparam("id"))


def _product(product_id: int) -> Read[Product]:
    rows = yield query(PRODUCT_BY_ID, id=product_id)
    if not rows or rows[0]["deleted_at"] is not None:
        raise NotFound(PRODUCT_NOT_FOUND)
    return _from_mapping(rows[0])


def _from_row(row: ProductRow) -> Product:
    category = Category.model_validate(row.category) if row.category is not None else None
    return Product.model_validate(
        {
            **{c: getattr(row, c) for c in Product.model_fields if c != "category"},
            "category": category,
        }
    )


def _from_mapping(row: Mapping[str, Any]) -> Product:
    category = CATEGORY.of(row) if row["category_id"] is not None else None
    return Product.model_validate(
        {
            **{name: row[name] for name in Product.model_fields if name != "category"},
            "category": Category.model_validate(category) if category else None,
        }
    )
