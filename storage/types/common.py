"""Building blocks shared by every resource: ids, timestamps, pages, sorting, patches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, NamedTuple, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from storage.errors import PreconditionFailed
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


def etag_matches(resource: Resource, header: str) -> bool:
    """Whether an If-Match / If-None-Match header names the resource's current ETag.

    The header is ``*`` or a comma-separated list of entity tags; comparison is
    strong (RFC 9110), so a weak tag ``W/"3"`` never matches.
    """
    tags = {tag.strip() for tag in header.split(",")}
    return "*" in tags or resource.etag() in tags


def ensure_current(resource: Resource, expected: str | None) -> None:
    """Raise ``PreconditionFailed`` unless ``expected`` (If-Match) names the resource's ETag.

    Backends call it on the record as it is inside their write, after locking it.
    """
    if expected is not None and not etag_matches(resource, expected):
        raise PreconditionFailed(
            f"The resource has changed: its ETag is now {resource.etag()}, not {expected}; "
            "read it again and resend your change"
        )


class Resource(BaseModel):
    """Fields every stored resource carries.

    ``version`` starts at 1 and grows by one with every write of the record
    itself; it is not in the JSON body but in the ``ETag`` header (``etag``).
    """

    model_config = ConfigDict(from_attributes=True)

    id: Id
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int = Field(default=1, ge=1, exclude=True)

    def etag(self) -> str:
        """The entity tag of this representation: changes whenever any part of it does."""
        return f'"{self.version}"'


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


class Position(NamedTuple):
    """A place in an ordered list: the sort value and tie-breaker of the last item seen.

    The tie-breaker is the item's id (a tag's name, for tags).
    """

    value: Any
    id: Any


class PageQuery(NoNulText):
    """Pagination shared by every list.

    Either ``skip`` items (simple, but each page costs more the deeper it is),
    or continue ``after`` the cursor a previous page returned as
    ``next_cursor`` (keyset pagination: every page costs the same, and inserts
    between pages neither repeat nor skip items). ``count=false`` leaves out
    ``total``, whose counting dominates deep pages of large lists.
    """

    skip: Annotated[int, Field(ge=0, le=MAX_SKIP, description="Items to skip.")] = 0
    limit: Annotated[int, Field(ge=1, le=100, description="Page size, 1-100.")] = 20
    after: Annotated[
        str | None,
        Field(
            max_length=1000,
            description="Opaque cursor: the previous page's next_cursor (instead of skip).",
        ),
    ] = None
    count: Annotated[bool, Field(description="false leaves out total (faster).")] = True
    _position: Position | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _skip_or_after(self) -> PageQuery:
        if self.after is not None and self.skip:
            raise ValueError("use either skip or after, not both")
        return self

    @property
    def position(self) -> Position | None:
        """Where the page starts, decoded from ``after`` by the API (None: from ``skip``)."""
        return self._position

    def starting_at(self, position: Position | None) -> Self:
        """This query, continuing after ``position``."""
        query = self.model_copy()
        query._position = position
        return query


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
    """One page of a list, with the total number of matching items (unless not counted).

    ``next_cursor`` continues the list after this page (``after=``); it is null
    on the last page.
    """

    items: list[T]
    total: int | None
    skip: int
    limit: int
    next_cursor: str | None = None
    _more: bool = PrivateAttr(default=False)

    @classmethod
    def of(cls, rows: list[T], query: PageQuery, total: int | None) -> Page[T]:
        """The page from up to ``limit + 1`` rows: one more than shown tells a next page exists."""
        page = cls(items=rows[: query.limit], total=total, skip=query.skip, limit=query.limit)
        page._more = len(rows) > query.limit
        return page

    @property
    def more(self) -> bool:
        """Whether items follow this page."""
        return self._more
