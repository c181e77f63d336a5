"""order amounts of 20 digits; sorted text compared by code point in its index (PostgreSQL)

- ``orders.total`` and ``order_lines.line_total`` become NUMERIC(20, 2):
  0004 asked for 20 digits but got 12 (the ``Money`` type ignored its
  argument), so a large order could not be stored. SQLite keeps integer cents.
- On PostgreSQL the text columns lists sort by (user and category and product
  names, post titles, tag names) get ``COLLATE "C"``: the code-point order the
  API sorts by, which their ``(field, id)`` indexes can then serve. Changing
  the collation rebuilds those indexes. MariaDB/MySQL tables are
  ``utf8mb4_bin`` already; SQLite compares by code point.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.sql.types import Money

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDE_MONEY = (("orders", "total"), ("order_lines", "line_total"))
SORTED_TEXT = (
    ("users", "name", 50),
    ("tags", "name", 30),
    ("posts", "title", 100),
    ("categories", "name", 50),
    ("products", "name", 100),
)


def _money(precision: int) -> None:
    for table, column in WIDE_MONEY:
        op.alter_column(
            table,
            column,
            type_=Money(precision),
            existing_type=Money(),
            existing_nullable=False,
        )


def _collation(collation: str | None) -> None:
    for table, column, length in SORTED_TEXT:
        op.alter_column(
            table,
            column,
            type_=sa.String(length, collation=collation),
            existing_type=sa.String(length),
            existing_nullable=False,
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return
    _money(20)
    if dialect == "postgresql":
        _collation("C")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return
    if dialect == "postgresql":
        _collation("default")
    _money(12)
