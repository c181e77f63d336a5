"""case-folded keys for matching and uniqueness; an index per filter and sort field

Text filters and unique names used each database's own lower-casing and
collation, which disagree on Turkish i, final sigma, ß and the like. Now a
``*_key`` column holds ``storage.types.text.fold`` of the text, computed in
Python (here for existing rows), and matching and uniqueness compare keys.
Uniqueness of emails moves from ``email`` to ``email_key``; the category name
key is recomputed with ``fold`` and widened. Every filter and sort field gets
an index ``(field, id)``.

On SQLite the table rebuilds of batch mode run with foreign keys off (see
``storage.sql.migrate``), so rebuilding ``users`` does not cascade into ``posts``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from storage.types.text import fold

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What a SQLite table rebuild must keep: AUTOINCREMENT is not reflected, and
# without it SQLite would reuse the id of a deleted last row.
TABLE_KWARGS = {"sqlite_autoincrement": True}
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
BATCH = 1000

# table -> (source column -> key column, key column type)
KEYS: dict[str, dict[str, tuple[str, Any]]] = {
    "users": {
        "name": ("name_key", sa.String(150)),
        "email": ("email_key", sa.String(762)),
        "city": ("city_key", sa.String(150)),
    },
    "posts": {"title": ("title_key", sa.String(300)), "content": ("content_key", LONG_TEXT)},
    "products": {"name": ("name_key", sa.String(300))},
    "categories": {"name": ("name_key", sa.String(150))},
}
# table -> indexes before -> indexes after, as (name, columns)
OLD_INDEXES = {
    "users": ["ix_users_age"],
    "posts": ["ix_posts_published", "ix_posts_author_id"],
    "products": ["ix_products_price", "ix_products_stock", "ix_products_category_id"],
}
NEW_INDEXES = {
    "users": ["name", "name_key", "city_key", "age", "is_active", "created_at"],
    "posts": ["published", "author_id", "title", "created_at"],
    "categories": ["name"],
    "products": ["name", "name_key", "price", "stock", "category_id"],
}


def _backfill(table: str, keys: Mapping[str, tuple[str, Any]]) -> None:
    """Compute every key of ``table`` in Python, a batch of rows at a time."""
    connection = op.get_bind()
    source = sa.table(table, sa.column("id"), *(sa.column(name) for name in keys))
    target = sa.table(table, sa.column("id"), *(sa.column(key) for key, _ in keys.values()))
    update = (
        target.update()
        .where(target.c.id == sa.bindparam("row_id"))
        .values({key: sa.bindparam(key) for key, _ in keys.values()})
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(*source.c).where(source.c.id > last).order_by(source.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        values = [
            {"row_id": row.id, **{key: fold(getattr(row, name)) for name, (key, _) in keys.items()}}
            for row in rows
        ]
        connection.execute(update, values)
        last = rows[-1].id


def _fold_tags() -> None:
    """Tags were lower-cased; now they are folded (``Straße`` -> ``strasse``).

    A tag whose folded name already exists is merged into it: its posts are
    linked to the existing tag (once) and it is deleted.
    """
    connection = op.get_bind()
    tags = sa.table("tags", sa.column("id"), sa.column("name"))
    links = sa.table("post_tags", sa.column("post_id"), sa.column("tag_id"))
    by_name = {row.name: row.id for row in connection.execute(sa.select(tags.c.id, tags.c.name))}
    for name, tag_id in sorted(by_name.items()):
        folded = fold(name)
        if folded == name:
            continue
        target = by_name.get(folded)
        if target is None:
            connection.execute(tags.update().where(tags.c.id == tag_id).values(name=folded))
            by_name[folded] = tag_id
            continue
        # Read first: MySQL cannot update a table it also selects from.
        linked = connection.execute(sa.select(links.c.post_id).where(links.c.tag_id == target))
        already = [row.post_id for row in linked]
        connection.execute(
            links.update()
            .where(links.c.tag_id == tag_id, links.c.post_id.not_in(already))
            .values(tag_id=target)
        )
        connection.execute(links.delete().where(links.c.tag_id == tag_id))
        connection.execute(tags.delete().where(tags.c.id == tag_id))


def upgrade() -> None:
    _fold_tags()
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, table_kwargs=TABLE_KWARGS) as batch:
            for key, type_ in keys.values():
                if (table, key) == ("categories", "name_key"):
                    batch.alter_column(key, type_=type_, existing_nullable=False)
                else:
                    batch.add_column(sa.Column(key, type_, nullable=True))
        _backfill(table, keys)
        with op.batch_alter_table(table, table_kwargs=TABLE_KWARGS) as batch:
            for key, type_ in keys.values():
                batch.alter_column(key, existing_type=type_, nullable=False)
            # New indexes first: MariaDB keeps an index that a foreign key needs.
            for column in NEW_INDEXES.get(table, []):
                batch.create_index(f"ix_{table}_{column}_id", [column, "id"])
            for name in OLD_INDEXES.get(table, []):
                batch.drop_index(name)
            if table == "users":
                batch.drop_constraint("uq_users_email", type_="unique")
                batch.create_unique_constraint("uq_users_email_key", ["email_key"])


def downgrade() -> None:
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, table_kwargs=TABLE_KWARGS) as batch:
            if table == "users":
                batch.drop_constraint("uq_users_email_key", type_="unique")
                batch.create_unique_constraint("uq_users_email", ["email"])
            for name in OLD_INDEXES.get(table, []):
                column = name.removeprefix(f"ix_{table}_")
                batch.create_index(name, [column])
            for column in NEW_INDEXES.get(table, []):
                batch.drop_index(f"ix_{table}_{column}_id")
            for key, _ in keys.values():
                if (table, key) == ("categories", "name_key"):
                    batch.alter_column(key, type_=sa.String(50), existing_nullable=False)
                else:
                    batch.drop_column(key)
