"""Orders in the ``orders`` collection: one document with its lines embedded.

Placing an order is one multi-document transaction: the user is guarded
(``Runner.guard``), then each line takes its stock with a conditional update
(``stock >= quantity``, not deleted) in product id order, then the order is
inserted; a line that cannot be taken aborts everything. Money is kept in
integer cents, as product prices are (``storage.mongo.fields``).
"""

from __future__ import annotations

from decimal import Decimal

from pymongo import ReturnDocument

from storage.errors import Conflict, NotFound
from storage.messages import (
    ORDER_ALREADY_CANCELLED,
    ORDER_NOT_FOUND,
    USER_NOT_FOUND,
    out_of_stock,
    product_missing,
)
from storage.mongo.documents import (
    ORDERS,
    PRODUCTS,
    USERS,
    Document,
    Session,
    find_page,
    new_document,
    next_id,
    update_fields,
    versioned,
)
from storage.mongo.fields import from_document, to_document
from storage.mongo.runner import Runner
from storage.types import (
    Order,
    OrderCreate,
    OrderLine,
    OrderQuery,
    Page,
    Product,
    ensure_current,
)


def to_order(doc: Document) -> Order:
    """Build the API model from a stored order document (its ``lines`` are the ``items``)."""
    items = [from_document(OrderLine, line) for line in doc["lines"]]
    return Order.model_validate({**from_document(Order, doc), "items": items})


class MongoOrderStore:
    """``storage.protocol.OrderStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._db = runner.db
        self._orders = runner.db[ORDERS]
        self._products = runner.db[PRODUCTS]
        self._users = runner.db[USERS]

    async def place(self, data: OrderCreate) -> Order:
        """Take every line's stock and insert the order, in one transaction."""
        user_id = data.user_id
        if user_id is None:  # the API fills in the caller
            raise NotFound(USER_NOT_FOUND)
        order_id = await self._run.run(lambda: next_id(self._db, ORDERS))

        async def place(session: Session) -> Document:
            await self._run.guard(session, USERS, user_id, USER_NOT_FOUND)
            taken = {}
            for item in sorted(data.items, key=lambda item: item.product_id):
                taken[item.product_id] = await self._take(session, item.product_id, item.quantity)
            lines = [taken[item.product_id] for item in data.items]
            total = sum((line.line_total for line in lines), Decimal(0))
            order = {"id": order_id, "user_id": user_id, "status": "placed", "lines": lines}
            doc = new_document(to_document({**order, "total": total}))
            await self._orders.insert_one(doc, session=session)
            return doc

        return to_order(await self._run.transaction(place))

    async def _take(self, session: Session, product_id: int, quantity: int) -> OrderLine:
        product = await self._products.find_one_and_update(
            {"_id": product_id, "deleted_at": None, "stock": {"$gte": quantity}},
            {"$inc": {"stock": -quantity, "version": 1}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if product is None:
            found = await self._products.find_one({"_id": product_id}, session=session)
            if found is None or found["deleted_at"] is not None:
                raise NotFound(product_missing(product_id))
            raise Conflict(out_of_stock(product_id, found["name"], found["stock"], quantity))
        price = from_document(Product, product)["price"]
        return OrderLine(
            product_id=product_id,
            name=product["name"],
            unit_price=price,
            quantity=quantity,
            line_total=price * quantity,
        )

    async def get(self, order_id: int) -> Order:
        """Return one order or raise ``NotFound``."""
        doc = await self._run.run(lambda: self._orders.find_one({"_id": order_id}))
        if doc is None:
            raise NotFound(ORDER_NOT_FOUND)
        return to_order(doc)

    async def list_by_user(self, user_id: int, query: OrderQuery) -> Page[Order]:
        """A user's orders (newest first by default); ``NotFound`` for no such user."""

        async def read(session: Session) -> Page[Order] | None:
            if await self._users.find_one({"_id": user_id}, {"_id": 1}, session=session) is None:
                return None
            docs, total = await find_page(self._orders, {"user_id": user_id}, query, session)
            return Page.of([to_order(doc) for doc in docs], query, total)

        page = await self._run.snapshot(read)
        if page is None:
            raise NotFound(USER_NOT_FOUND)
        return page

    async def cancel(self, order_id: int, expected: str | None = None) -> Order:
        """Mark the order cancelled and give back its stock, in one transaction."""

        async def cancel(session: Session) -> Document:
            current = await self._orders.find_one({"_id": order_id}, session=session)
            if current is None:
                raise NotFound(ORDER_NOT_FOUND)
            ensure_current(to_order(current), expected)
            if current["status"] == "cancelled":
                raise Conflict(ORDER_ALREADY_CANCELLED)  # and nothing is given back
            cancelled = {"status": "cancelled"}
            doc = versioned(
                await update_fields(self._orders, order_id, cancelled, session, current)
            )
            for line in sorted(doc["lines"], key=lambda line: line["product_id"]):
                await self._products.update_one(
                    {"_id": line["product_id"]},
                    {"$inc": {"stock": line["quantity"], "version": 1}},
                    session=session,
                )
            return doc

        return to_order(await self._run.transaction(cancel))
