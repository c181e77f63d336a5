"""Building blocks shared by every resource: ids, timestamps, pages, sorting, patches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, NamedTuple, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from storage.types.schema import Filter, Listing
from storage.types.text import fold, key_length, normalise

# Ids are 32-bit on the SQL side (INTEGER primary keys), so that is the ceiling
# everywhere: a larger id is a 422, never a driver overflow turned into a 500.
MAX_ID = 2**31 - 1
# Offsets beyond this are nonsense for a paginated API and would overflow drivers.
MAX_SKIP = 10_000_000

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="A positive integer id.")]
StrictId = Annotated[int, Field(ge=1, le=MAX_ID, strict=True, description="A positive integer id.")]
"""An id in a request body: a JSON integer, not a string or a float that happens to be whole."""


def _normalised(value: Any) -> Any:
    return normalise(value) if isinstance(value, str) else value


NORMALISED = BeforeValidator(_normalised)
"""Put first in a text field's ``Annotated``: the text is stored in NFC without
surrounding white space, and the field's length limits apply to that form."""


def key_fits(max_length: int) -> AfterValidator:
    """Check that the case-folded key of a text of at most ``max_length`` fits its column.

    Key columns are sized for any such text; the check makes a pathological
    one a 422 rather than a database error.
    """

    def check(value: str | None) -> str | None:
        if value is not None and len(fold(value)) > key_length(max_length):
            raise ValueError("is too long once case-folded")
        return value

    return AfterValidator(check)


T = TypeVar("T")


def utc_now() -> datetime:
    """Now in UTC, truncated to milliseconds: the precision BSON keeps, used everywhere."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _as_utc(value: datetime) -> datetime:
    # SQLite and MySQL hand back naive datetimes; they were stored as UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _iso_millis(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Always three decimals in JSON ("2026-11-25T09:00:00.120Z"): what every store keeps.
UtcDatetime = Annotated[
    datetime,
    AfterValidator(_as_utc),
    PlainSerializer(_iso_millis, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


class Resource(BaseModel):
    """Fields every stored resource carries."""

    model_config = ConfigDict(from_attributes=True)

    id: Id
    created_at: UtcDatetime
    updated_at: UtcDatetime


class NoNulText(BaseModel):
    """Refuses the NUL character in every text field (and list of texts).

    PostgreSQL cannot store it and would fail the request; refusing it up
    front gives a 422 that names the field, the same on every backend.
    """

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain the NUL character (\\x00)")
        return value


class Input(NoNulText):
    """Base of request bodies: unknown fields are refused.

    Text fields are declared with ``NORMALISED`` (NFC, stripped) first.
    """

    model_config = ConfigDict(extra="forbid")


class Patch(Input):
    """Base of partial updates: an absent field is unchanged, ``null`` only where allowed.

    Fields are declared optional so they may be omitted; ``nullable`` names the
    ones a client may explicitly clear with ``null``.
    """

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_null(self) -> Patch:
        for name in self.model_fields_set:
            if getattr(self, name) is None and name not in self.nullable:
                raise ValueError(f"{name} cannot be null; omit it to leave it unchanged")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, with their new values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class SortKey(NamedTuple):
    """A parsed ``sort`` parameter: ``-price`` is ``SortKey("price", descending=True)``."""

    field: str
    descending: bool

    @classmethod
    def parse(cls, value: str) -> SortKey:
        """Split a ``field`` / ``-field`` string (already checked against an allow-list)."""
        return cls(value.removeprefix("-"), value.startswith("-"))


class PageQuery(NoNulText):
    """Pagination shared by every list: ``skip`` items, then at most ``limit``."""

    skip: Annotated[int, Field(ge=0, le=MAX_SKIP, description="Items to skip.")] = 0
    limit: Annotated[int, Field(ge=1, le=100, description="Page size, 1-100.")] = 20


class ListQuery(PageQuery):
    """A page plus an order; each resource narrows ``sort`` to its own allow-list.

    Ties are always broken by id, so pages never overlap or skip items.
    ``listing`` declares the resource's filters and sorts; backends build their
    queries from ``conditions()`` and ``sort_key`` only.
    """

    listing: ClassVar[Listing]
    sort: str = "id"

    @property
    def sort_key(self) -> SortKey:
        """The parsed ``sort`` parameter."""
        return SortKey.parse(self.sort)

    def conditions(self) -> list[tuple[Filter, Any]]:
        """The filters this query sets, each with the value to compare stored data with."""
        found = []
        for filter_ in self.listing.filters:
            value = getattr(self, filter_.param)
            if value is not None:
                found.append((filter_, self.stored_value(filter_, value)))
        return found

    def stored_value(self, filter_: Filter, value: Any) -> Any:
        """The query's value as stored data holds it: substrings of keys are folded."""
        return fold(value) if filter_.op == "contains" else value


class Page[T](BaseModel):
    """One page of a list, with the total number of matching items."""

    items: list[T]
    total: int
    skip: int
    limit: int
