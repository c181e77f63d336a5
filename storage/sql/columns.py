"""SQL columns derived from the records: a stored field is declared once, in ``storage.types``.

Each resource's table is built from its record (``storage.types.records``),
the field's type read by ``storage.types.shapes``:

- ``id``: the primary key;
- a text with a ``max_length`` *n*: ``VARCHAR(n)``, compared by code point if
  a list sorts by it (``sorted_text``); a text without a limit (a post's
  content): long text; a ``Literal``: ``VARCHAR(Stored.length)``;
- a whole number: ``INTEGER``; a boolean: ``BOOLEAN``; a timestamp: UTC with
  milliseconds (``UtcDateTime``); money (``Decimal``): ``NUMERIC(max_digits, 2)``
  (``Money``); bytes: a blob (``MEDIUMBLOB`` on MariaDB/MySQL);
- ``NULL`` allowed where the type says ``| None``; a foreign key where
  ``Stored.references`` names one; a server default where ``Stored.default``
  gives one (what rows stored before the field existed hold);
- each declared key (``Listing.keys``) a column sized for the fold of its field
  (``key_length``), beside the field.

A field that is a list (a post's tags, an order's lines) lives in a table of
its own (``storage.sql.tables``, ``storage.sql.record_lists``), not in a column.
Indexes and unique constraints are derived too (``storage.sql.indexes``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_origin

from sqlalchemy import (
    Boolean,
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
from sqlalchemy.types import TypeEngine

from storage.sql.types import Money, UtcDateTime
from storage.types.records import Record
from storage.types.shapes import Shape, field_shape
from storage.types.text import key_length

# MySQL's TEXT holds 65,535 bytes: less than 20,000 four-byte characters.
LONG_TEXT = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
# Likewise its BLOB; a 256 px WebP of a noisy photo can pass 64 KiB (MEDIUMBLOB: 16 MiB).
IMAGE = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


def sorted_text(length: int) -> String:
    """A text column lists sort by: compared by code point on every dialect.

    MariaDB/MySQL tables are ``utf8mb4_bin`` already; on PostgreSQL the column
    gets ``COLLATE "C"``, so its ``(field, id)`` index serves the code-point
    order that sorting asks for (an index in the database's default collation
    would not, and every first page would sort the whole table).
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def key_type(max_length: int | None) -> TypeEngine[Any]:
    """The column type of the folded key of a text of at most ``max_length`` characters."""
    return LONG_TEXT if max_length is None else String(key_length(max_length))


def column_type(shape: Shape, *, sorted_by: bool = False) -> TypeEngine[Any]:
    """The SQL type of a field of ``shape`` (``sorted_by``: a list sorts by it)."""
    bare = shape.bare
    if bare is str or get_origin(bare) is Literal:
        length = shape.max_length or shape.stored.length
        if length is None:
            return LONG_TEXT
        return sorted_text(length) if sorted_by else String(length)
    if bare is Decimal:
        return Money(shape.general("max_digits") or 12)
    simple: dict[Any, TypeEngine[Any]] = {
        bool: Boolean(),
        int: Integer(),
        datetime: UtcDateTime(),
        bytes: IMAGE,
    }
    return simple[bare]


def record_columns(kind: type[Record]) -> list[Column[Any]]:
    """The columns of ``kind``'s table, in the record's order, keys beside their fields."""
    listing = kind.listing
    columns: list[Column[Any]] = []
    for name, field in kind.model_fields.items():
        shape = field_shape(field)
        if get_origin(shape.bare) is list:
            continue  # a table of its own
        if name == "id":
            columns.append(Column("id", Integer, primary_key=True))
            continue
        stored = shape.stored
        references = []
        if stored.references is not None:
            references.append(ForeignKey(stored.references, ondelete=stored.on_delete))
        columns.append(
            Column(
                name,
                column_type(shape, sorted_by=name in listing.sorts),
                *references,
                nullable=shape.nullable,
                server_default=stored.default,
            )
        )
        if name in listing.keys:
            key = listing.keys[name]
            columns.append(Column(key, key_type(shape.max_length), nullable=shape.nullable))
    return columns


def record_table(metadata: MetaData, kind: type[Record], **options: Any) -> Table:
    """The table of ``kind`` (named after it) in ``metadata``, with table ``options``."""
    return Table(kind.kind(), metadata, *record_columns(kind), **options)
