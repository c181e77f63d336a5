"""accounts: usernames, password hashes, roles, token versions

Existing users get a username derived from their email's local part (letters,
digits, ``_ . -``; at least 3 characters; made unique with their id), an
unusable password (``!``: no hash matches it) until an admin sets one, the
role ``user`` and token version 0.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types.text import fold
from storage.types.users import username_from_email

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE_KWARGS = {"sqlite_autoincrement": True}


def _backfill() -> None:
    connection = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id"),
        sa.column("email"),
        sa.column("username"),
        sa.column("username_key"),
    )
    taken: set[str] = set()
    rows = connection.execute(sa.select(users.c.id, users.c.email).order_by(users.c.id)).all()
    for row in rows:
        username = username_from_email(row.email, row.id, taken)
        taken.add(fold(username))
        connection.execute(
            users.update()
            .where(users.c.id == row.id)
            .values(username=username, username_key=fold(username))
        )


def upgrade() -> None:
    with op.batch_alter_table("users", table_kwargs=TABLE_KWARGS) as batch:
        batch.add_column(sa.Column("username", sa.String(30), nullable=True))
        batch.add_column(sa.Column("username_key", sa.String(90), nullable=True))
        batch.add_column(sa.Column("role", sa.String(10), server_default="user", nullable=False))
        batch.add_column(
            sa.Column("password_hash", sa.String(255), server_default="!", nullable=False)
        )
        batch.add_column(
            sa.Column("token_version", sa.Integer(), server_default="0", nullable=False)
        )
    _backfill()
    with op.batch_alter_table("users", table_kwargs=TABLE_KWARGS) as batch:
        batch.alter_column("username", existing_type=sa.String(30), nullable=False)
        batch.alter_column("username_key", existing_type=sa.String(90), nullable=False)
        batch.create_unique_constraint("uq_users_username_key", ["username_key"])


def downgrade() -> None:
    with op.batch_alter_table("users", table_kwargs=TABLE_KWARGS) as batch:
        batch.drop_constraint("uq_users_username_key", type_="unique")
        for column in ("token_version", "password_hash", "role", "username_key", "username"):
            batch.drop_column(column)
