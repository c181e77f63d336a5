"""profile pictures: a table of pictures by content, and the user's choice

- ``pictures``: one row per picture content (``digest``, the SHA-256 of its
  encoded sizes, unique), with a square WebP image per size (``webp_64``,
  ``webp_128``, ``webp_256``; MEDIUMBLOB on MariaDB/MySQL, whose BLOB stops
  at 64 KiB).
- ``users.picture``: the digest of the user's picture, NULL for the default
  one (every existing user), a foreign key to ``pictures.digest`` (a picture
  that a user names cannot be deleted) with an index.

On SQLite the rebuild of ``users`` by batch mode runs with foreign keys off
(see ``storage.sql.migrate``), so it does not cascade into ``posts``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from storage.sql.types import UtcDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What a SQLite table rebuild must keep (see 0003).
TABLE_KWARGS = {"sqlite_autoincrement": True}
TABLE_OPTIONS: dict[str, Any] = {
    "sqlite_autoincrement": True,
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}
IMAGE = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")
SIZES = (64, 128, 256)


def upgrade() -> None:
    op.create_table(
        "pictures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        *(sa.Column(f"webp_{size}", IMAGE, nullable=False) for size in SIZES),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pictures")),
        sa.UniqueConstraint("digest", name=op.f("uq_pictures_digest")),
        **TABLE_OPTIONS,
    )
    with op.batch_alter_table("users", table_kwargs=TABLE_KWARGS) as batch:
        batch.add_column(sa.Column("picture", sa.String(length=64), nullable=True))
        batch.create_index("ix_users_picture", ["picture"])
        batch.create_foreign_key(
            "fk_users_picture_pictures", "pictures", ["picture"], ["digest"], ondelete="RESTRICT"
        )


def downgrade() -> None:
    with op.batch_alter_table("users", table_kwargs=TABLE_KWARGS) as batch:
        batch.drop_constraint("fk_users_picture_pictures", type_="foreignkey")
        batch.drop_index("ix_users_picture")
        batch.drop_column("picture")
    op.drop_table("pictures")
