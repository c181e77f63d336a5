"""Orders on SQL: stock taken by conditional UPDATEs in one transaction.

Placing an order never reads stock and then writes it: each line is one
``UPDATE products SET stock = stock - :q WHERE id = :id AND stock >= :q AND
deleted_at IS NULL``, and a line that updates nothing aborts the whole order.
Lines are taken in product id order, so two orders sharing products lock
them in the same order and cannot deadlock each other; any deadlock or
serialization failure left is retried by ``Database.transaction``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.errors import Conflict, NotFound
from storage.messages import (
    ORDER_ALREADY_CANCELLED,
    ORDER_NOT_FOUND,
    USER_NOT_FOUND,
    out_of_stock,
    product_missing,
)
from storage.sql.database import Database, lock_row
from storage.sql.prepared import Read, Row, query
from storage.sql.queries import among, columns_of, page_of, paged
from storage.sql.tables import OrderRow, ProductRow, UserRow, order_lines, orders_table
from storage.types import Order, OrderCreate, OrderLine, OrderQuery, Page, ensure_current, utc_now

COLUMNS = columns_of(orders_table)


class SqlOrderStore:
    """``storage.protocol.OrderStore`` on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def place(self, data: OrderCreate) -> Order:
        wanted = sorted(data.items, key=lambda item: item.product_id)
        user_id = data.user_id
        if user_id is None:  # the API fills in the caller
            raise NotFound(USER_NOT_FOUND)

        async def place(session: AsyncSession) -> Order:
            # The user's row lock keeps a concurrent delete of the user out.
            await lock_row(session, UserRow.id, user_id)
            if await session.get(UserRow, user_id) is None:
                raise NotFound(USER_NOT_FOUND)
            lines = [await _take(session, item.product_id, item.quantity) for item in wanted]
            by_product = {line.product_id: line for line in lines}
            ordered = [by_product[item.product_id] for item in data.items]  # the client's order
            now = utc_now()
            order_id = await session.scalar(
                insert(OrderRow)
                .values(
                    user_id=user_id,
                    status="placed",
                    total=sum((line.line_total for line in ordered), Decimal(0)),
                    created_at=now,
                    updated_at=now,
                )
                .returning(OrderRow.id)
            )
            await session.execute(
                insert(order_lines),
                [
                    {"order_id": order_id, "line_no": number, **line.model_dump()}
                    for number, line in enumerate(ordered, start=1)
                ],
            )
            return _order(
                {"id": order_id, "user_id": user_id, "status": "placed", "version": 1},
                ordered,
                now,
            )

        return await self._db.transaction(place)

    async def get(self, order_id: int) -> Order:
        return await self._db.reads.run(_one_order(order_id), by_key=True)

    async def list_by_user(self, user_id: int, query: OrderQuery) -> Page[Order]:
        return await self._db.reads.run(_orders_of(user_id, query))

    async def cancel(self, order_id: int, expected: str | None = None) -> Order:
        async def cancel(session: AsyncSession) -> Order:
            await lock_row(session, OrderRow.id, order_id)
            row = await session.get(OrderRow, order_id)
            if row is None:
                raise NotFound(ORDER_NOT_FOUND)
            lines = await _lines_of(await session.connection(), [order_id])
            ensure_current(_from_row(row, lines[order_id]), expected)
            if row.status == "cancelled":
                raise Conflict(ORDER_ALREADY_CANCELLED)  # and nothing is given back
            for line in sorted(lines[order_id], key=lambda line: line.product_id):
                await session.execute(
                    update(ProductRow)
                    .where(ProductRow.id == line.product_id)
                    .values(stock=ProductRow.stock + line.quantity, version=ProductRow.version + 1)
                    .execution_options(synchronize_session=False)
                )
            row.status = "cancelled"
            row.updated_at = utc_now()
            await session.flush()
            return _from_row(row, lines[order_id])

        return await self._db.transaction(cancel)


async def _take(session: AsyncSession, product_id: int, quantity: int) -> OrderLine:
    """Take ``quantity`` of a product's stock, or raise why not; the line as ordered."""
    taken = await session.execute(
        update(ProductRow)
        .where(
            ProductRow.id == product_id,
            ProductRow.deleted_at.is_(None),
            ProductRow.stock >= quantity,
        )
        .values(stock=ProductRow.stock - quantity, version=ProductRow.version + 1)
        .execution_options(synchronize_session=False)
    )
    current = (
        await session.execute(
            select(
                ProductRow.name, ProductRow.price, ProductRow.stock, ProductRow.deleted_at
            ).where(ProductRow.id == product_id)
        )
    ).first()
    if current is None or current.deleted_at is not None:
        raise NotFound(product_missing(product_id))
    if taken.rowcount == 0:  # type: ignore[attr-defined]
        raise Conflict(out_of_stock(product_id, current.name, current.stock, quantity))
    return OrderLine(
        product_id=product_id,
        name=current.name,
        unit_price=current.price,
        quantity=quantity,
        line_total=current.price * quantity,
    )


ORDER_BY_ID = select(orders_table).where(orders_table.c.id == bindparam("id"))
USER_EXISTS = select(UserRow.id).where(UserRow.id == bindparam("id"))


def _one_order(order_id: int) -> Read[Order]:
    rows = yield query(ORDER_BY_ID, id=order_id)
    orders = yield from _with_lines(rows)
    if not orders:
        raise NotFound(ORDER_NOT_FOUND)
    return orders[0]


def _orders_of(user_id: int, page_query: OrderQuery) -> Read[Page[Order]]:
    if not (yield query(USER_EXISTS, id=user_id)):
        raise NotFound(USER_NOT_FOUND)

    def matching(_dialect: str) -> Select[Any]:
        return select(orders_table.c.id).where(orders_table.c.user_id == bindparam("user_id"))

    def page(dialect: str) -> Select[Any]:
        mine = select(orders_table).where(orders_table.c.user_id == bindparam("user_id"))
        return paged(mine, page_query, COLUMNS, orders_table.c.id, dialect)

    values = {"user_id": user_id}
    return (yield from page_of(page_query, matching, page, items=_with_lines, extra=values))


def _with_lines(rows: list[Row]) -> Read[list[Order]]:
    """The orders of ``rows`` with their lines (one more statement, at any page size)."""
    if not rows:
        return []
    found = yield among("order_lines", [row["id"] for row in rows], order_lines.c.order_id, _lines)
    lines: dict[int, list[OrderLine]] = {}
    for line in found:
        lines.setdefault(line["order_id"], []).append(OrderLine.model_validate(line))
    return [_order(row, lines.get(row["id"], []), row["created_at"], row) for row in rows]


def _lines(among_ids: Any) -> Select[Any]:
    lines = select(order_lines).where(among_ids)
    return lines.order_by(order_lines.c.order_id, order_lines.c.line_no)


async def _lines_of(conn: AsyncConnection, order_ids: Sequence[int]) -> dict[int, list[OrderLine]]:
    """Every line of the given orders (in a write), in the order they were placed."""
    statement = _lines(order_lines.c.order_id.in_(order_ids))
    found: dict[int, list[OrderLine]] = {}
    for row in (await conn.execute(statement)).mappings():
        found.setdefault(row["order_id"], []).append(OrderLine.model_validate(dict(row)))
    return found


def _order(
    row: Mapping[str, Any],
    lines: list[OrderLine],
    created_at: Any,
    stored: Mapping[str, Any] | None = None,
) -> Order:
    return Order(
        id=row["id"],
        user_id=row["user_id"],
        status=row["status"],
        items=lines,
        total=sum((line.line_total for line in lines), Decimal(0)),
        created_at=created_at,
        updated_at=stored["updated_at"] if stored is not None else created_at,
        version=row["version"],
    )


def _from_row(row: OrderRow, lines: list[OrderLine]) -> Order:
    return _order(
        {"id": row.id, "user_id": row.user_id, "status": row.status, "version": row.version},
        lines,
        row.created_at,
        {"updated_at": row.updated_at},
    )
