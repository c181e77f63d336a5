"""Records: a resource as it is stored, every field included, for moving data between stores.

A response model (``User``, ``Product``, ...) shows what a client may see; a
record carries what a store keeps, including what responses leave out: the
``version`` behind ETags, a product's ``deleted_at``, an order's lines as
placed. ``python -m api copy`` reads records from one store and writes them
to another through ``storage.protocol.TransferStore``; each backend maps the
fields by name (SQL columns, Mongo document fields), so a stored field added
to a resource is one line here. ``tests/test_records.py`` checks that every
stored field of every store is either a record field or derived.

Derived fields are not records' business: the ``*_key`` search keys come from
``Listing.with_keys`` on the target, Mongo's ``txn_guard`` starts again at 0.

``canonical()`` is the one text form both ends of a copy hash to verify it:
JSON with sorted keys, timestamps to the millisecond, money as exact text.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from storage.money import CENT
from storage.types.catalog import (
    CATEGORIES,
    CATEGORY_NAME_MAX,
    DESCRIPTION_MAX,
    PRODUCT_NAME_MAX,
    PRODUCTS,
)
from storage.types.common import Id, UtcDatetime
from storage.types.orders import ORDERS, OrderStatus
from storage.types.pictures import PICTURES, Digest
from storage.types.posts import POSTS, TITLE_MAX
from storage.types.schema import Listing, Stored
from storage.types.users import CITY_MAX, EMAIL_MAX, NAME_MAX, USERNAME_MAX, USERS, Role

_Amount = Annotated[
    Decimal,
    Field(gt=0),  # every stored amount is positive: a price, a line's, an order's total
    AfterValidator(lambda value: value.quantize(CENT)),
    # Text, not a JSON number: a float would round an order total of 18 digits.
    PlainSerializer(str, return_type=str, when_used="json"),
]
ExactMoney = Annotated[_Amount, Field(max_digits=12)]
"""A positive amount with exactly two decimals, the same whichever store it was read from.

Money: MongoDB keeps it in integer cents (``storage.mongo.fields``), SQL in ``NUMERIC``
of the digits declared here (a price: 12)."""
Total = Annotated[_Amount, Field(max_digits=20)]
"""An amount summed from lines: 100 lines x 10,000 units x the largest price fits."""
Count = Annotated[int, Field(ge=0)]
"""A whole number that cannot be negative (an age, a stock)."""


def text(length: int) -> Any:
    """A stored text of at most ``length`` characters (the limit its input type checks)."""
    return Field(max_length=length)


Blob = Annotated[
    bytes,
    # Base64 in canonical JSON: the bytes of an image are not text.
    PlainSerializer(
        lambda data: base64.b64encode(data).decode(), return_type=str, when_used="json"
    ),
]
"""Binary data, stored as is (SQL: a blob column; MongoDB: BinData)."""


class Record(BaseModel):
    """Fields every stored resource has; ``listing`` names the resource and its keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listing: ClassVar[Listing]
    """The resource's declarations: its name (``listing.resource``) and its key fields."""
    batch_size: ClassVar[int | None] = None
    """The most records of this kind a copy moves in one batch (None: the copy's own size)."""

    id: Id
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: Annotated[int, Field(ge=1), Stored(default="1")]

    @classmethod
    def kind(cls) -> str:
        """The resource's name: ``users``, ``posts``, ... (also its table and collection)."""
        return cls.listing.resource

    def canonical(self) -> str:
        """This record as one line of canonical JSON, for checksums."""
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )


class PictureRecord(Record):
    """A stored picture: its content address and the WebP image of every size.

    ``batch_size`` keeps a batch of them to a few megabytes (one SQL statement
    or bulk write; MariaDB's default packet limit is 16 MiB).
    """

    listing = PICTURES
    batch_size = 100

    digest: Digest
    webp_64: Blob
    webp_128: Blob
    webp_256: Blob


class UserRecord(Record):
    """A user as stored."""

    listing = USERS

    username: Annotated[str, text(USERNAME_MAX)]
    name: Annotated[str, text(NAME_MAX)]
    email: Annotated[str, text(EMAIL_MAX)]
    age: Count
    city: Annotated[str, text(CITY_MAX)]
    is_active: bool
    role: Annotated[Role, Stored(length=10, default="user")]
    password_hash: Annotated[str, text(255), Stored(default="!")]
    """Argon2id (or ``!``: cannot log in): copied as is, so every password keeps working."""
    token_version: Annotated[int, Field(ge=0), Stored(default="0")]
    """Kept, so tokens issued before the copy stay as valid (or not) as they were."""
    picture: Annotated[Digest | None, Stored(references="pictures.digest")]
    """The digest of the user's picture (a ``PictureRecord``), None for the default one.
    A picture a user names cannot be deleted (whatever runs concurrently)."""


class PostRecord(Record):
    """A post as stored, with the names of its tags (sorted)."""

    listing = POSTS

    title: Annotated[str, text(TITLE_MAX)]
    content: str
    published: bool
    author_id: Annotated[Id, Stored(references="users.id", on_delete="CASCADE")]
    """Deleting a user deletes their posts."""
    # A post names a tag once (Mongo's tag counts count the elements).
    tags: Annotated[list[str], Field(json_schema_extra={"uniqueItems": True})]


class CategoryRecord(Record):
    """A category as stored."""

    listing = CATEGORIES

    name: Annotated[str, text(CATEGORY_NAME_MAX)]
    description: Annotated[str | None, text(DESCRIPTION_MAX)]


class ProductRecord(Record):
    """A product as stored, deleted ones included (``deleted_at`` set)."""

    listing = PRODUCTS

    name: Annotated[str, text(PRODUCT_NAME_MAX)]
    price: ExactMoney
    stock: Count
    category_id: Annotated[Id | None, Stored(references="categories.id")]
    """A category with live products cannot be deleted."""
    deleted_at: UtcDatetime | None


class OrderLineRecord(BaseModel):
    """One line of an order, as it was placed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product_id: Id
    name: Annotated[str, text(PRODUCT_NAME_MAX)]
    unit_price: ExactMoney
    quantity: Annotated[int, Field(ge=1)]
    line_total: Total


class OrderRecord(Record):
    """An order as stored, its lines in the order they were placed."""

    listing = ORDERS

    user_id: Id
    """No reference: an order is history, and outlives its user."""
    status: Annotated[OrderStatus, Stored(length=20)]
    lines: Annotated[list[OrderLineRecord], Field(min_length=1)]
    total: Total


class Census(BaseModel):
    """How much of one kind a store holds, and where its id source stands."""

    count: int
    highest_id: int
    """The largest id stored (0 if none)."""
    id_counter: int
    """The last id the store's id source handed out (a sequence, ``AUTO_INCREMENT``,
    a counter document); deleting the newest record leaves it above ``highest_id``,
    so that id is never given again."""


RECORDS: tuple[type[Record], ...] = (
    PictureRecord,
    UserRecord,
    PostRecord,
    CategoryRecord,
    ProductRecord,
    OrderRecord,
)
"""Every kind of record, each after the kinds it refers to (the order a copy writes them in)."""
