"""indexes derived from the declarations: substring filters honestly served

The indexes are now derived from ``storage.types`` (``storage.sql.indexes``),
which says per engine which index serves each filter. What that changes:

- The ``(name_key, id)`` and ``(city_key, id)`` indexes of users and the
  ``(name_key, id)`` index of products go: their filters (``name``, ``city``,
  ``q``) are substring searches, ``LIKE '%value%'``, which no B-tree serves.
- On PostgreSQL they are served by trigram indexes instead: GIN with
  ``pg_trgm``'s ``gin_trgm_ops`` on ``users.name_key``, ``users.city_key`` and
  ``products.name_key``. This creates the ``pg_trgm`` extension in the
  database if it is not there. It ships with PostgreSQL (Debian: the server
  package; elsewhere ``postgresql-contrib``) and is a trusted extension
  (PostgreSQL 13+), so the migrating role needs no superuser, only the
  CREATE privilege on the database (its owner has it). A role without it
  gets a message saying what to run.
- ``ix_users_picture`` becomes ``ix_users_picture_id`` (``picture, id``), the
  shape of every other look-up's index (created before the old one goes:
  MariaDB keeps the foreign key's index).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.errors import StorageError

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBSTRING_KEYS = (("users", "name_key"), ("users", "city_key"), ("products", "name_key"))
NEEDS_PG_TRGM = (
    "PostgreSQL cannot create the pg_trgm extension that migration 0008 needs ({reason}). "
    "Install the server's contrib extensions (Debian/Ubuntu: part of postgresql-NN; "
    "RPM: postgresql-contrib), or have the database owner or a superuser run "
    '"CREATE EXTENSION pg_trgm" in this database, then migrate again.'
)


def _create_pg_trgm() -> None:
    bind = op.get_bind()
    installed = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
    if installed.first() is not None:
        return
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    )
    if available.first() is None:
        raise StorageError(NEEDS_PG_TRGM.format(reason="it is not installed on the server"))
    allowed = bind.execute(sa.text("SELECT has_database_privilege(current_database(), 'CREATE')"))
    if not allowed.scalar():
        raise StorageError(
            NEEDS_PG_TRGM.format(reason="this role lacks the CREATE privilege on the database")
        )
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        _create_pg_trgm()
    for table, column in SUBSTRING_KEYS:
        op.drop_index(f"ix_{table}_{column}_id", table_name=table)
        if postgresql:
            op.create_index(
                f"ix_{table}_{column}_trgm",
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
    op.create_index("ix_users_picture_id", "users", ["picture", "id"])
    op.drop_index("ix_users_picture", table_name="users")


def downgrade() -> None:
    op.create_index("ix_users_picture", "users", ["picture"])
    op.drop_index("ix_users_picture_id", table_name="users")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column in SUBSTRING_KEYS:
        if postgresql:
            op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
        op.create_index(f"ix_{table}_{column}_id", table, [column, "id"])
    # The extension stays: other databases' objects may use it, and it costs nothing idle.
