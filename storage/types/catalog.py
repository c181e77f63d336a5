"""Categories and the products filed under them."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, model_validator

from storage.messages import CATEGORY_NAME_TAKEN
from storage.money import CENT
from storage.types.common import (
    NORMALISED,
    Id,
    Input,
    ListQuery,
    Patch,
    Resource,
    StrictId,
    UtcDatetime,
    key_fits,
)
from storage.types.schema import Filter, Listing, sort_fields

# Money is exact: Decimal in, Decimal (SQL Numeric) or integer cents (Mongo) at rest.
# JSON shows a number; 12 digits with 2 decimals is the SQL column's capacity.
MAX_PRICE = Decimal("9999999999.99")
_as_json_number = PlainSerializer(float, return_type=float, when_used="json")
_NOT_PLAIN_DIGITS = re.compile(r"[^\x00-\x7f]|_")


def _plain_decimal_text(value: Any) -> Any:
    # Python's Decimal also reads other scripts' digits ("٣") and underscores
    # ("1_0"); a price written as text is held to what a JSON number may say.
    # (Anything else Decimal cannot read gets pydantic's own error.)
    if isinstance(value, str) and _NOT_PLAIN_DIGITS.search(value):
        raise ValueError("must be a number written with the digits 0-9, such as 12.50")
    return value


_PLAIN_TEXT = BeforeValidator(_plain_decimal_text)
Price = Annotated[
    Decimal,
    Field(gt=0, le=MAX_PRICE, max_digits=12, decimal_places=2, allow_inf_nan=False),
    _PLAIN_TEXT,
    _as_json_number,
]
PriceBound = Annotated[Decimal, Field(ge=0, le=MAX_PRICE, allow_inf_nan=False), _PLAIN_TEXT]
Stock = Annotated[int, Field(ge=0, le=2**31 - 1)]
StrictStock = Annotated[Stock, Field(strict=True)]
CATEGORY_NAME_MAX, DESCRIPTION_MAX, PRODUCT_NAME_MAX = 50, 500, 100
CategoryName = Annotated[
    str,
    NORMALISED,
    Field(min_length=1, max_length=CATEGORY_NAME_MAX),
    key_fits(CATEGORY_NAME_MAX),
]
Description = Annotated[str, NORMALISED, Field(max_length=DESCRIPTION_MAX)]
ProductName = Annotated[
    str,
    NORMALISED,
    Field(min_length=1, max_length=PRODUCT_NAME_MAX),
    key_fits(PRODUCT_NAME_MAX),
]

CategorySort = Literal["id", "-id", "name", "-name"]
ProductSort = Literal["id", "-id", "name", "-name", "price", "-price", "stock", "-stock"]

CATEGORIES = Listing(
    resource="categories",
    filters=(),
    sorts=sort_fields(CategorySort),
    keys={"name": "name_key"},
    unique={"name_key": CATEGORY_NAME_TAKEN},
)
PRODUCTS = Listing(
    resource="products",
    filters=(
        Filter("category_id", "equals", ("category_id",)),
        Filter("min_price", "at_least", ("price",)),
        Filter("max_price", "at_most", ("price",)),
        Filter("in_stock", "positive", ("stock",)),
        Filter("q", "contains", ("name_key",)),
        Filter("deleted", "presence", ("deleted_at",)),
    ),
    sorts=sort_fields(ProductSort),
    keys={"name": "name_key"},
)


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

    listing = CATEGORIES

    sort: CategorySort = "id"


class ProductCreate(Input):
    """Body of ``POST /products``."""

    name: ProductName
    price: Price
    stock: StrictStock = 0
    category_id: StrictId | None = None


ProductBatch = Annotated[list[ProductCreate], Field(min_length=1, max_length=1000)]
"""Body of ``POST /products/bulk``: 1-1000 products, stored all or none."""


class ProductUpdate(Patch):
    """Body of ``PATCH /products/{id}``; ``category_id`` may be cleared with null."""

    nullable = frozenset({"category_id"})

    name: ProductName | None = None
    price: Price | None = None
    stock: StrictStock | None = None
    category_id: StrictId | None = None


class Product(Resource):
    """A stored product with its category embedded (or null).

    A deleted product (``deleted_at`` set) is hidden from lists and look-ups
    and cannot be ordered, but stays for the orders that name it and can be
    restored.
    """

    name: str
    price: Annotated[Decimal, _as_json_number]
    stock: int
    category: Category | None
    deleted_at: UtcDatetime | None = None

    def etag(self) -> str:
        category = self.category.version if self.category else 0
        return f'"{self.version}.{category}"'


class ProductQuery(ListQuery):
    """Filters, order and page of ``GET /products``.

    ``q`` matches a case-insensitive substring of the name, taken literally;
    ``in_stock=true`` keeps products with stock above zero, ``false`` those without.
    Price bounds compare with whole cents: ``min_price`` is rounded up and
    ``max_price`` down, which keeps exactly the products an exact comparison would.
    """

    listing = PRODUCTS

    category_id: Id | None = None
    min_price: PriceBound | None = None
    max_price: PriceBound | None = None
    in_stock: bool | None = None
    q: Annotated[str | None, NORMALISED, Field(max_length=100)] = None
    deleted: Annotated[
        Literal["exclude", "only", "include"],
        Field(description="Deleted products: left out (default), only them, or included."),
    ] = "exclude"
    sort: ProductSort = "id"

    def stored_value(self, filter_: Any, value: Any) -> Any:
        if filter_.param == "min_price":
            return value.quantize(CENT, ROUND_CEILING)
        if filter_.param == "max_price":
            return value.quantize(CENT, ROUND_FLOOR)
        return super().stored_value(filter_, value)

    @model_validator(mode="after")
    def _check_price_range(self) -> ProductQuery:
        low, high = self.min_price, self.max_price
        if low is not None and high is not None and low > high:
            raise ValueError("min_price must not be greater than max_price")
        return self
