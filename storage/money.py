"""Exact money as integer cents, for the stores that keep it that way.

MongoDB (Decimal128 neither sorts nor ``$inc``s on the test double) and SQLite
(whose NUMERIC affinity would store a binary float) keep prices as integer
cents; both convert here. ``Fraction`` keeps the arithmetic exact whatever the
number of digits given.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

CENT = Decimal("0.01")


def to_cents(price: Decimal) -> int:
    """Convert a price with at most two decimals to integer cents, exactly."""
    cents = Fraction(price) * 100
    if cents.denominator != 1:
        raise ValueError(f"price {price} has more than two decimals")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """Convert integer cents back to a Decimal with exactly two decimals (``1999`` -> ``19.99``)."""
    return Decimal(cents).scaleb(-2)
