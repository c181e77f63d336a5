"""Orders: stock taken from products, all or nothing, and given back once on cancel."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer, model_validator

from storage.types.common import Input, ListQuery, Resource, StrictId
from storage.types.schema import Listing, sort_fields

MAX_LINES = 100
MAX_QUANTITY = 10_000

_as_json_number = PlainSerializer(float, return_type=float, when_used="json")
Money = Annotated[Decimal, _as_json_number]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, strict=True)]
OrderStatus = Literal["placed", "cancelled"]
OrderSort = Literal["-id", "id"]

ORDERS = Listing(
    resource="orders",
    filters=(),
    sorts=sort_fields(OrderSort),
    keys={},
    lookups=("user_id",),  # a user's orders, in id order: the look-up and the order in one index
)


class OrderItem(Input):
    """One line of ``POST /orders``: a product and how many of it."""

    product_id: StrictId
    quantity: Quantity


class OrderCreate(Input):
    """Body of ``POST /orders``: 1-100 lines, each product at most once."""

    user_id: StrictId | None = None
    """Who orders: the caller if left out (only admins may order for someone else)."""
    items: Annotated[list[OrderItem], Field(min_length=1, max_length=MAX_LINES)]

    @model_validator(mode="after")
    def _each_product_once(self) -> OrderCreate:
        seen: set[int] = set()
        for item in self.items:
            if item.product_id in seen:
                raise ValueError(
                    f"product {item.product_id} appears twice; give it once with the total quantity"
                )
            seen.add(item.product_id)
        return self


class OrderLine(BaseModel):
    """A line as ordered: the product's name and price are captured at order time."""

    product_id: int
    name: str
    unit_price: Money
    quantity: int
    line_total: Money


class Order(Resource):
    """A stored order. Its lines keep what the products were when it was placed."""

    user_id: int
    status: OrderStatus
    items: list[OrderLine]
    total: Money


class OrderQuery(ListQuery):
    """Order and page of ``GET /users/{id}/orders``: newest first by default."""

    listing = ORDERS

    sort: OrderSort = "-id"
