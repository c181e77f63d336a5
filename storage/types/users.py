"""Users: who writes posts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, EmailStr, Field, StrictBool, model_validator

from storage.types.common import NORMALISED, Input, ListQuery, Patch, Resource, key_fits
from storage.types.schema import Filter, Listing, sort_fields

NAME_MAX, CITY_MAX, EMAIL_MAX = 50, 50, 254

Name = Annotated[str, NORMALISED, Field(min_length=2, max_length=NAME_MAX), key_fits(NAME_MAX)]
# Shown lower-case; unique by its folded key (``email_key``), like every other key.
Email = Annotated[
    EmailStr,
    NORMALISED,
    Field(max_length=EMAIL_MAX),
    AfterValidator(str.lower),
    key_fits(EMAIL_MAX),
]
Age = Annotated[int, Field(ge=0, le=150)]
City = Annotated[str, NORMALISED, Field(min_length=1, max_length=CITY_MAX), key_fits(CITY_MAX)]
SearchText = Annotated[str | None, NORMALISED, Field(max_length=50)]

UserSort = Literal["id", "-id", "name", "-name", "age", "-age", "created_at", "-created_at"]

USERS = Listing(
    resource="users",
    filters=(
        Filter("name", "contains", ("name_key",)),
        Filter("city", "contains", ("city_key",)),
        Filter("min_age", "at_least", ("age",)),
        Filter("max_age", "at_most", ("age",)),
        Filter("is_active", "equals", ("is_active",)),
    ),
    sorts=sort_fields(UserSort),
    keys={"name": "name_key", "city": "city_key", "email": "email_key"},
    unique=("email_key",),
)


class UserCreate(Input):
    """Body of ``POST /users``."""

    name: Name
    email: Email
    age: Annotated[Age, Field(strict=True)]
    city: City = "Unknown"
    is_active: StrictBool = True


class UserUpdate(Patch):
    """Body of ``PATCH /users/{id}``: any subset of the fields."""

    name: Name | None = None
    email: Email | None = None
    age: Annotated[Age, Field(strict=True)] | None = None
    city: City | None = None
    is_active: StrictBool | None = None


class User(Resource):
    """A stored user."""

    name: str
    email: str
    age: int
    city: str
    is_active: bool


UserBatch = Annotated[list[UserCreate], Field(min_length=1, max_length=1000)]
"""Body of ``POST /users/bulk``: 1-1000 users, stored all or none."""


class UserQuery(ListQuery):
    """Filters, order and page of ``GET /users``.

    ``name`` and ``city`` match a case-insensitive substring, taken literally.
    """

    listing = USERS

    name: SearchText = None
    city: SearchText = None
    min_age: Age | None = None
    max_age: Age | None = None
    is_active: bool | None = None
    sort: UserSort = "id"

    @model_validator(mode="after")
    def _check_age_range(self) -> UserQuery:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age must not be greater than max_age")
        return self
