"""Column types that make every SQL dialect store the same values.

- ``UtcDateTime``: aware UTC datetimes in, aware UTC out, millisecond precision
  (MySQL's DATETIME would otherwise drop fractions; SQLite keeps no zone).
- ``Money``: exact decimals with two places. NUMERIC on PostgreSQL and MySQL;
  integer cents on SQLite, whose NUMERIC affinity would store a binary float.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator, TypeEngine

from storage.money import CENT, from_cents, to_cents


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every dialect."""

    impl = DateTime(timezone=True)
    cache_ok = True
    models_set_the_zone = True
    """Reads (``storage.sql.prepared``) may skip ``process_result_value``: every model's
    ``UtcDatetime`` field turns a naive value into UTC itself (``storage.types.common``)."""

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=3))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # Only PostgreSQL stores the zone; elsewhere store naive UTC.
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """An exact amount with two decimals: ``Money()`` holds 12 digits, ``Money(20)`` 20.

    NUMERIC(precision, 2) on PostgreSQL and MariaDB/MySQL; integer cents on
    SQLite, whose NUMERIC would be a binary float.
    """

    # A class, not an instance: TypeDecorator builds it from __init__'s arguments
    # (an instance here would silently ignore them).
    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 12) -> None:
        super().__init__(precision, 2, asdecimal=True)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(self.impl_instance)

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return to_cents(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return from_cents(value)
        return Decimal(value).quantize(CENT)
