"""Exact money at rest: Decimal prices are stored as integer cents.

Integer cents sort, compare and ``$inc`` exactly on MongoDB and on the test
double alike (Decimal128 does not on the double), and never meet a binary float.
``Fraction`` keeps the arithmetic exact whatever the number of digits given.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def to_cents(price: Decimal) -> int:
    """Convert a price with at most two decimals to integer cents, exactly."""
    cents = Fraction(price) * 100
    if cents.denominator != 1:
        raise ValueError(f"price {price} has more than two decimals")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """Convert integer cents back to a Decimal with exactly two decimals (``1999`` -> ``19.99``)."""
    return Decimal(cents).scaleb(-2)
