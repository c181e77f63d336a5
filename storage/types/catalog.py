"""Categories and the products filed under them."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, model_validator

from storage.money import CENT
from storage.types.common import Id, Input, ListQuery, Patch, Resource

# Money is exact: Decimal in, Decimal (SQL Numeric) or integer cents (Mongo) at rest.
# JSON shows a number; 12 digits with 2 decimals is the SQL column's capacity.
MAX_PRICE = Decimal("9999999999.99")
_as_json_number = PlainSerializer(float, return_type=float, when_used="json")
Price = Annotated[
    Decimal,
    Field(gt=0, le=MAX_PRICE, max_digits=12, decimal_places=2, allow_inf_nan=False),
    _as_json_number,
]
PriceBound = Annotated[Decimal, Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)]
Stock = Annotated[int, Field(ge=0, le=2**31 - 1)]
CategoryName = Annotated[str, Field(min_length=1, max_length=50)]
Description = Annotated[str, Field(max_length=500)]
ProductName = Annotated[str, Field(min_length=1, max_length=100)]

CategorySort = Literal["id", "-id", "name", "-name"]
ProductSort = Literal["id", "-id", "name", "-name", "price", "-price", "stock", "-stock"]


class CategoryCreate(Input):
    """Body of ``POST /categories``; names are unique regardless of letter case."""

    name: CategoryName
    description: Description | None = None


class CategoryUpdate(Patch):
    """Body of ``PATCH /categories/{id}``; ``description`` may be cleared with null."""

    nullable = frozenset({"description"})

    name: CategoryName | None = None
    description: Description | None = None


class Category(Resource):
    """A stored category."""

    name: str
    description: str | None


class CategoryQuery(ListQuery):
    """Order and page of ``GET /categories``."""

    sort: CategorySort = "id"


class ProductCreate(Input):
    """Body of ``POST /products``."""

    name: ProductName
    price: Price
    stock: Annotated[Stock, Field(strict=True)] = 0
    category_id: Annotated[Id | None, Field(strict=True)] = None


class ProductUpdate(Patch):
    """Body of ``PATCH /products/{id}``; ``category_id`` may be cleared with null."""

    nullable = frozenset({"category_id"})

    name: ProductName | None = None
    price: Price | None = None
    stock: Annotated[Stock | None, Field(strict=True)] = None
    category_id: Annotated[Id | None, Field(strict=True)] = None


class Product(Resource):
    """A stored product with its category embedded (or null)."""

    name: str
    price: Annotated[Decimal, _as_json_number]
    stock: int
    category: Category | None


class ProductQuery(ListQuery):
    """Filters, order and page of ``GET /products``.

    ``q`` matches a case-insensitive substring of the name, taken literally;
    ``in_stock=true`` keeps products with stock above zero, ``false`` those without.
    """

    category_id: Id | None = None
    min_price: PriceBound | None = None
    max_price: PriceBound | None = None
    in_stock: bool | None = None
    q: Annotated[str | None, Field(max_length=100)] = None
    sort: ProductSort = "id"

    def price_range_in_cents(self) -> tuple[Decimal | None, Decimal | None]:
        """``min_price`` rounded up and ``max_price`` rounded down to whole cents.

        Stored prices are whole cents, so this keeps exactly the same products
        as comparing with the bounds as given, on a store that keeps cents.
        """
        low = self.min_price.quantize(CENT, ROUND_CEILING) if self.min_price is not None else None
        high = self.max_price.quantize(CENT, ROUND_FLOOR) if self.max_price is not None else None
        return low, high

    @model_validator(mode="after")
    def _check_price_range(self) -> ProductQuery:
        low, high = self.min_price, self.max_price
        if low is not None and high is not None and low > high:
            raise ValueError("min_price must not be greater than max_price")
        return self
