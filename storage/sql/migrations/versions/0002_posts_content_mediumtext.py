"""posts.content holds 20,000 characters of any width on MySQL/MariaDB

TEXT there is 65,535 bytes, so 20,000 four-byte characters (emoji) did not
fit; MEDIUMTEXT holds 16 MiB. Other databases' TEXT is unbounded: no change.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        op.alter_column("posts", "content", type_=mysql.MEDIUMTEXT(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        op.alter_column("posts", "content", type_=sa.Text(), existing_nullable=False)
