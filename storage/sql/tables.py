"""ORM mapping of the relational schema (the Alembic migrations create it).

Rules the database itself enforces, so they hold under concurrency: the
unique keys declared in ``storage.types`` (``Listing.unique``: ``users.email_key``,
``categories.name_key``, ... case-folded keys, see ``storage.types.text``),
``ON DELETE CASCADE`` from users to posts and from posts to their tag links,
``ON DELETE RESTRICT`` from products to categories.

No column of a resource is written here either: each resource's table is
derived from its record (``storage.types.records``: every stored field with
its type, limits and references) by ``storage.sql.columns``, key columns
(``*_key``, ``fold()`` of their field, computed in Python from ``Listing.keys``)
included. No index is written here: ``storage.sql.indexes`` derives them from
the declarations (``Listing.indexes``) and adds them to these tables
(``tests/test_indexes.py`` checks the databases hold exactly those). What is
written here: the mapping of those tables to classes (relationships, and the
attributes the code names, for the type checker), and the two link tables.

Relationships load with ``lazy="raise"``: every query states what it loads, so
an accidental per-row query (N+1) is an error rather than a slow page.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, cast

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from storage.sql.columns import record_table, sorted_text
from storage.sql.indexes import add_declared_indexes
from storage.sql.types import Money, UtcDateTime
from storage.types.catalog import PRODUCT_NAME_MAX
from storage.types.posts import TAG_MAX
from storage.types.records import (
    CategoryRecord,
    OrderRecord,
    PictureRecord,
    PostRecord,
    ProductRecord,
    UserRecord,
)

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


class Base(DeclarativeBase):
    """Declarative base sharing one metadata with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, Decimal: Money}


def table(record: type[Any]) -> Table:
    """The table of ``record`` (``storage.sql.columns``), in this schema."""
    return record_table(Base.metadata, record, **TABLE_OPTIONS)


class Timestamped:
    """A resource's row: ``id``, ``created_at``, ``updated_at`` (ms-truncated UTC), ``version``.

    SQLAlchemy bumps ``version`` on every ORM update of the row (``version_id_col``,
    which also adds ``WHERE version = <old>`` to the UPDATE); statements that
    update rows directly bump it themselves. It is what ETags and If-Match compare.
    """

    if TYPE_CHECKING:  # the columns come from the record (``table``)
        id: Mapped[int]
        created_at: Mapped[datetime]
        updated_at: Mapped[datetime]
        version: Mapped[int]

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 (a class-level directive)
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


# Each class maps the table of its record. The annotations under TYPE_CHECKING
# are the columns code names, for the type checker only: the columns
# themselves, every one of them, come from the record.


class PictureRow(Timestamped, Base):
    """A profile picture, once per content (``digest``), in every size; see ``PictureStore``.

    One column per size, named by ``storage.types.pictures.column_of``.
    """

    __table__ = table(PictureRecord)

    if TYPE_CHECKING:
        digest: Mapped[str]


class UserRow(Timestamped, Base):
    __table__ = table(UserRecord)

    if TYPE_CHECKING:
        username: Mapped[str]
        username_key: Mapped[str]
        email_key: Mapped[str]
        role: Mapped[str]
        password_hash: Mapped[str]
        token_version: Mapped[int]
        picture: Mapped[str | None]


post_tags = Table(
    "post_tags",
    Base.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    **TABLE_OPTIONS,
)


class TagRow(Base):
    """A tag: a post's tags are a list, kept here and linked through ``post_tags``."""

    __tablename__ = "tags"
    __table_args__ = TABLE_OPTIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sorted_text(TAG_MAX))


class PostRow(Timestamped, Base):
    __table__ = table(PostRecord)

    author: Mapped[UserRow] = relationship(lazy="raise")
    tags: Mapped[list[TagRow]] = relationship(secondary=post_tags, lazy="raise")

    if TYPE_CHECKING:
        title: Mapped[str]
        content: Mapped[str]
        published: Mapped[bool]
        author_id: Mapped[int]


class CategoryRow(Timestamped, Base):
    __table__ = table(CategoryRecord)


class ProductRow(Timestamped, Base):
    __table__ = table(ProductRecord)

    category: Mapped[CategoryRow | None] = relationship(lazy="raise")

    if TYPE_CHECKING:
        name: Mapped[str]
        price: Mapped[Decimal]
        stock: Mapped[int]
        category_id: Mapped[int | None]
        # Set by a delete: the product is hidden but stays for the orders naming it.
        deleted_at: Mapped[datetime | None]


class OrderRow(Timestamped, Base):
    __table__ = table(OrderRecord)

    if TYPE_CHECKING:
        user_id: Mapped[int]
        status: Mapped[str]
        total: Mapped[Decimal]


# An order's lines: a list of the order record, in a table of its own
# (tests/test_records.py checks its columns against OrderLineRecord).
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
users_table = UserRow.__table__
posts_table = PostRow.__table__
tags_table = cast(Table, TagRow.__table__)
categories_table = CategoryRow.__table__
products_table = ProductRow.__table__
orders_table = OrderRow.__table__
pictures_table = PictureRow.__table__
