"""ORM mapping of the relational schema (the Alembic migrations create it).

Rules the database itself enforces, so they hold under concurrency: the
unique keys declared in ``storage.types`` (``Listing.unique``: ``users.email_key``,
``categories.name_key``, ... case-folded keys, see ``storage.types.text``),
``ON DELETE CASCADE`` from users to posts and from posts to their tag links,
``ON DELETE RESTRICT`` from products to categories.

Key columns (``*_key``) hold ``fold()`` of their field, computed in Python from
the declarations in ``storage.types`` (``Listing.keys``) and sized for any
valid text (``key_length``). No index is written here: ``storage.sql.indexes``
derives them from the same declarations (``Listing.indexes``) and adds them
to these tables (``tests/test_declarations.py`` checks the databases hold
exactly those).

Relationships load with ``lazy="raise"``: every query states what it loads, so
an accidental per-row query (N+1) is an error rather than a slow page.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, cast

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from storage.sql.indexes import add_declared_indexes
from storage.sql.types import Money, UtcDateTime
from storage.types.catalog import CATEGORY_NAME_MAX, PRODUCT_NAME_MAX
from storage.types.posts import TAG_MAX, TITLE_MAX
from storage.types.text import key_length
from storage.types.users import CITY_MAX, EMAIL_MAX, NAME_MAX, USERNAME_MAX

# Deterministic constraint names: migrations can refer to them and the error
# translator can recognise them on every dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# MySQL/MariaDB default to accent- and case-insensitive collations; a binary
# collation makes comparisons, uniqueness and sorting match the other stores.
# SQLite's AUTOINCREMENT stops it from reusing the id of a deleted last row.
TABLE_OPTIONS: dict[str, Any] = {
    "sqlite_autoincrement": True,
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def sorted_text(length: int) -> String:
    """A text column lists sort by: compared by code point on every dialect.

    MariaDB/MySQL tables are ``utf8mb4_bin`` already; on PostgreSQL the column
    gets ``COLLATE "C"``, so its ``(field, id)`` index serves the code-point
    order that sorting asks for (an index in the database's default collation
    would not, and every first page would sort the whole table).
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


# MySQL's TEXT holds 65,535 bytes: less than 20,000 four-byte characters.
LONG_TEXT = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
# Likewise its BLOB; a 256 px WebP of a noisy photo can pass 64 KiB (MEDIUMBLOB: 16 MiB).
IMAGE = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")
DIGEST_LENGTH = 64


class Base(DeclarativeBase):
    """Declarative base sharing one metadata with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, Decimal: Money}


class Timestamped:
    """``created_at``, ``updated_at`` (ms-truncated UTC) and the record's ``version``.

    SQLAlchemy bumps ``version`` on every ORM update of the row (``version_id_col``,
    which also adds ``WHERE version = <old>`` to the UPDATE); statements that
    update rows directly bump it themselves. It is what ETags and If-Match compare.
    """

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 (a class-level directive)
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def key_column(max_length: int) -> Mapped[str]:
    """A column for the folded key of a text of at most ``max_length`` characters."""
    return mapped_column(String(key_length(max_length)))


class PictureRow(Timestamped, Base):
    """A profile picture, once per content (``digest``), in every size; see ``PictureStore``.

    One column per size, named by ``storage.types.pictures.column_of``.
    """

    __tablename__ = "pictures"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    webp_64: Mapped[bytes] = mapped_column(IMAGE)
    webp_128: Mapped[bytes] = mapped_column(IMAGE)
    webp_256: Mapped[bytes] = mapped_column(IMAGE)


class UserRow(Timestamped, Base):
    __tablename__ = "users"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    username_key: Mapped[str] = key_column(USERNAME_MAX)
    name: Mapped[str] = mapped_column(sorted_text(NAME_MAX))
    name_key: Mapped[str] = key_column(NAME_MAX)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    email_key: Mapped[str] = key_column(EMAIL_MAX)
    age: Mapped[int]
    city: Mapped[str] = mapped_column(String(CITY_MAX))
    city_key: Mapped[str] = key_column(CITY_MAX)
    is_active: Mapped[bool]
    role: Mapped[str] = mapped_column(String(10), server_default="user")
    # An Argon2id hash ("$argon2id$..."), or "!" for an account that cannot log in.
    password_hash: Mapped[str] = mapped_column(String(255), server_default="!")
    # Bumped when the password changes: tokens issued before carry an older one.
    token_version: Mapped[int] = mapped_column(server_default="0")
    # The digest of the user's picture; NULL: the default picture. The key keeps a
    # picture that a user names from being deleted, whatever runs concurrently.
    picture: Mapped[str | None] = mapped_column(
        String(DIGEST_LENGTH), ForeignKey("pictures.digest", ondelete="RESTRICT")
    )


post_tags = Table(
    "post_tags",
    Base.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    **TABLE_OPTIONS,
)


class TagRow(Base):
    __tablename__ = "tags"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sorted_text(TAG_MAX))


class PostRow(Timestamped, Base):
    __tablename__ = "posts"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sorted_text(TITLE_MAX))
    title_key: Mapped[str] = key_column(TITLE_MAX)
    content: Mapped[str] = mapped_column(LONG_TEXT)
    content_key: Mapped[str] = mapped_column(LONG_TEXT)
    published: Mapped[bool]
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    author: Mapped[UserRow] = relationship(lazy="raise")
    tags: Mapped[list[TagRow]] = relationship(secondary=post_tags, lazy="raise")


class CategoryRow(Timestamped, Base):
    __tablename__ = "categories"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sorted_text(CATEGORY_NAME_MAX))
    # A plain unique index on the folded name gives case-insensitive uniqueness
    # on every dialect (MariaDB has no functional indexes).
    name_key: Mapped[str] = key_column(CATEGORY_NAME_MAX)
    description: Mapped[str | None] = mapped_column(String(500))


class ProductRow(Timestamped, Base):
    __tablename__ = "products"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sorted_text(PRODUCT_NAME_MAX))
    name_key: Mapped[str] = key_column(PRODUCT_NAME_MAX)
    price: Mapped[Decimal]
    stock: Mapped[int]
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT")
    )
    # Set by a delete: the product is hidden but stays for the orders naming it.
    deleted_at: Mapped[datetime | None]

    category: Mapped[CategoryRow | None] = relationship(lazy="raise")


class OrderRow(Timestamped, Base):
    __tablename__ = "orders"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: an order is history, and outlives its user (README).
    user_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    total: Mapped[Decimal] = mapped_column(Money(20))


order_lines = Table(
    "order_lines",
    Base.metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    # Products are never deleted outright (only hidden), so the reference holds.
    Column("product_id", ForeignKey("products.id", ondelete="RESTRICT"), primary_key=True),
    Column("line_no", Integer, nullable=False),
    Column("name", String(PRODUCT_NAME_MAX), nullable=False),
    Column("unit_price", Money(), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("line_total", Money(20), nullable=False),
    **TABLE_OPTIONS,
)

add_declared_indexes(Base.metadata)

# The tables behind the classes, for Core statements (reads select from these).
users_table = cast(Table, UserRow.__table__)
posts_table = cast(Table, PostRow.__table__)
tags_table = cast(Table, TagRow.__table__)
categories_table = cast(Table, CategoryRow.__table__)
products_table = cast(Table, ProductRow.__table__)
orders_table = cast(Table, OrderRow.__table__)
pictures_table = cast(Table, PictureRow.__table__)
