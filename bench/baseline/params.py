"""The query strings the baseline reads, parsed by hand within the API's bounds.

Narrower than the API (which takes every form pydantic accepts): what the
benchmark sends, plus the plain variants a person would try. Anything else
raises ``ValueError``, which the app answers with 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from storage.money import CENT, to_cents
from storage.types import ProductQuery
from storage.types.catalog import MAX_PRICE

MAX_ID = 2**31 - 1  # the API's id range (storage.types.MAX_ID): larger ids are not ids
MAX_SKIP = 10_000_000  # the API's bound on skip (storage.types.common.MAX_SKIP)
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
PRODUCT_SORTS = ("id", "price")
"""The product orders the baseline serves (``sort=price`` is the benchmark's)."""
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")
_FLAGS = {"true": True, "false": False}


def integer(text: str | None, default: int, low: int, high: int) -> int:
    """``text`` as an integer in ``low..high``, ``default`` if absent; ``ValueError`` if not."""
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValueError(f"{text!r} is not an integer in {low}-{high}")
    return int(text)


def _price(text: str | None) -> Decimal | None:
    if text is None:
        return None
    if not _PLAIN_DECIMAL.fullmatch(text) or Decimal(text) > MAX_PRICE:
        raise ValueError(f"{text!r} is not a price bound")
    return Decimal(text)


def _flag(text: str | None) -> bool | None:
    if text is None:
        return None
    if text not in _FLAGS:
        raise ValueError(f"{text!r} is not true or false")
    return _FLAGS[text]


@dataclass(frozen=True)
class ProductSearch:
    """``GET /products``' filters, order and page, as given."""

    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    sort: str = "id"
    skip: int = 0
    limit: int = DEFAULT_LIMIT

    @property
    def min_cents(self) -> int | None:
        """The lower bound in whole cents, rounded up (the API's rule)."""
        low = self.min_price
        return None if low is None else to_cents(low.quantize(CENT, ROUND_CEILING))

    @property
    def max_cents(self) -> int | None:
        """The upper bound in whole cents, rounded down (the API's rule)."""
        high = self.max_price
        return None if high is None else to_cents(high.quantize(CENT, ROUND_FLOOR))

    def query(self) -> ProductQuery:
        """The API's own query for these parameters: what its cursors are signed over."""
        return ProductQuery.model_validate(
            {
                "min_price": self.min_price,
                "max_price": self.max_price,
                "in_stock": self.in_stock,
                "sort": self.sort,
                "skip": self.skip,
                "limit": self.limit,
            }
        )


def product_search(params: dict[str, str]) -> ProductSearch:
    """The search ``params`` ask for; ``ValueError`` if a value is invalid."""
    search = ProductSearch(
        min_price=_price(params.get("min_price")),
        max_price=_price(params.get("max_price")),
        in_stock=_flag(params.get("in_stock")),
        sort=params.get("sort", "id"),
        skip=integer(params.get("skip"), 0, 0, MAX_SKIP),
        limit=integer(params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT),
    )
    if search.sort not in PRODUCT_SORTS:
        raise ValueError(f"sort must be one of {', '.join(PRODUCT_SORTS)}")
    low, high = search.min_price, search.max_price
    if low is not None and high is not None and low > high:
        raise ValueError("min_price must not be greater than max_price")
    return search
