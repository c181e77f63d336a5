"""Users: who writes posts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, EmailStr, Field, model_validator

from storage.types.common import Input, ListQuery, Patch, Resource

Name = Annotated[str, Field(min_length=2, max_length=50)]
# Stored lower-case, so uniqueness and look-ups are case-insensitive on every backend.
Email = Annotated[EmailStr, Field(max_length=254), AfterValidator(str.lower)]
Age = Annotated[int, Field(ge=0, le=150)]
City = Annotated[str, Field(min_length=1, max_length=50)]

UserSort = Literal["id", "-id", "name", "-name", "age", "-age", "created_at", "-created_at"]


class UserCreate(Input):
    """Body of ``POST /users``."""

    name: Name
    email: Email
    age: Annotated[Age, Field(strict=True)]
    city: City = "Unknown"
    is_active: Annotated[bool, Field(strict=True)] = True


class UserUpdate(Patch):
    """Body of ``PATCH /users/{id}``: any subset of the fields."""

    name: Name | None = None
    email: Email | None = None
    age: Annotated[Age | None, Field(strict=True)] = None
    city: City | None = None
    is_active: Annotated[bool | None, Field(strict=True)] = None


class User(Resource):
    """A stored user."""

    name: str
    email: str
    age: int
    city: str
    is_active: bool


class UserQuery(ListQuery):
    """Filters, order and page of ``GET /users``.

    ``name`` and ``city`` match a case-insensitive substring, taken literally.
    """

    name: Annotated[str | None, Field(max_length=50)] = None
    city: Annotated[str | None, Field(max_length=50)] = None
    min_age: Age | None = None
    max_age: Age | None = None
    is_active: bool | None = None
    sort: UserSort = "id"

    @model_validator(mode="after")
    def _check_age_range(self) -> UserQuery:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age must not be greater than max_age")
        return self
