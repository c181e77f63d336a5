"""record versions (ETags), soft-deleted products, orders and their lines

- ``version`` on users, posts, categories and products: 1 for existing rows,
  bumped by every write; ETags and If-Match compare it.
- ``products.deleted_at``: a delete hides a product and keeps it for orders.
- ``orders`` and ``order_lines``: a line captures the product's name and price.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.sql.types import Money, UtcDateTime

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ("users", "posts", "categories", "products")
# What a SQLite table rebuild must keep (see 0003).
TABLE_KWARGS = {"sqlite_autoincrement": True}
TABLE_OPTIONS: dict[str, Any] = {
    "sqlite_autoincrement": True,
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def upgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, table_kwargs=TABLE_KWARGS) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("products", table_kwargs=TABLE_KWARGS) as batch:
        batch.add_column(sa.Column("deleted_at", UtcDateTime(timezone=True), nullable=True))
        batch.create_index("ix_products_deleted_at_id", ["deleted_at", "id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", Money(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.Index("ix_orders_user_id_id", "user_id", "id"),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit_price", Money(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("line_total", Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_order_lines_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("order_id", "product_id", name=op.f("pk_order_lines")),
        sa.Index("ix_order_lines_product_id", "product_id"),
        **TABLE_OPTIONS,
    )


def downgrade() -> None:
    op.drop_table("order_lines")
    op.drop_table("orders")
    with op.batch_alter_table("products", table_kwargs=TABLE_KWARGS) as batch:
        batch.drop_index("ix_products_deleted_at_id")
        batch.drop_column("deleted_at")
    for table in VERSIONED:
        with op.batch_alter_table(table, table_kwargs=TABLE_KWARGS) as batch:
            batch.drop_column("version")
