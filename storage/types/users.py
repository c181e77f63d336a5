"""Users: accounts that write posts and place orders.

Three views of a user: ``UserPublic`` (what anyone may read: no email, no
role), ``User`` (what the user and admins read) and ``Author`` (what a post
embeds). ``NewUser`` is what storage writes: a password hash, never a password.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    SecretStr,
    StrictBool,
    model_validator,
)

from storage.types.common import NORMALISED, Input, ListQuery, Patch, Resource, key_fits
from storage.types.pictures import DEFAULT_SIZE, SIZES, picture_url
from storage.types.schema import Filter, Listing, sort_fields
from storage.types.text import fold

NAME_MAX, CITY_MAX, EMAIL_MAX, USERNAME_MAX = 50, 50, 254, 30
PASSWORD_MIN, PASSWORD_MAX = 8, 128

Role = Literal["user", "admin"]
Username = Annotated[
    str,
    NORMALISED,
    Field(
        min_length=3,
        max_length=USERNAME_MAX,
        pattern=r"^[\w.-]+$",
        description="3-30 letters, digits, '_', '.' or '-'; unique in any letter case.",
    ),
    key_fits(USERNAME_MAX),
]
Password = Annotated[
    SecretStr,
    Field(
        min_length=PASSWORD_MIN,
        max_length=PASSWORD_MAX,
        description="8-128 characters, not the username or the email. Stored hashed (Argon2id).",
    ),
]

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
    keys={"name": "name_key", "city": "city_key", "email": "email_key", "username": "username_key"},
    unique=("email_key", "username_key"),
)


def _not_guessable(password: SecretStr | None, *others: str) -> None:
    if password is None:
        return
    folded = password.get_secret_value().casefold()
    if any(folded == other.casefold() for other in others):
        raise ValueError("password must not be the username or the email")


class SignUp(Input):
    """Body of ``POST /users``: a new account. Role and activity are not the client's to set."""

    username: Username
    password: Password
    name: Name
    email: Email
    age: Annotated[Age, Field(strict=True)]
    city: City = "Unknown"

    @model_validator(mode="after")
    def _password_is_not_the_login(self) -> SignUp:
        _not_guessable(self.password, self.username, self.email)
        return self


class UserImport(SignUp):
    """One item of ``POST /users/bulk`` (admins): the password may be left out.

    Without one the account cannot log in until an admin sets a password.
    """

    password: Password | None = None  # type: ignore[assignment]


UserBatch = Annotated[list[UserImport], Field(min_length=1, max_length=1000)]
"""Body of ``POST /users/bulk``: 1-1000 users, stored all or none."""


class NewUser(BaseModel):
    """What storage writes for a new user: everything checked, the password already hashed."""

    username: str
    name: str
    email: str
    age: int
    city: str
    is_active: bool = True
    role: Role = "user"
    password_hash: str


class UserUpdate(Patch):
    """Body of ``PATCH /users/{id}``: any subset of the fields.

    ``is_active`` and ``role`` are for admins only (``api.policy``).
    """

    username: Username | None = None
    name: Name | None = None
    email: Email | None = None
    age: Annotated[Age, Field(strict=True)] | None = None
    city: City | None = None
    is_active: StrictBool | None = None
    role: Role | None = None


class NewPassword(Input):
    """Body of ``POST /users/{id}/password`` (admins)."""

    new_password: Password


class PasswordChange(Input):
    """Body of ``POST /users/me/password``."""

    current_password: Annotated[SecretStr, Field(max_length=PASSWORD_MAX)]
    new_password: Password


IMAGE_URL = (
    f"Path (from the API's root) of the profile picture, {DEFAULT_SIZE} px square WebP; "
    f"the same path ending in another of {', '.join(map(str, SIZES))} serves that size."
)


def _with_image_url[M: Author | UserPublic](model: M) -> M:
    # ``image_url`` follows ``picture`` when a store sets it; when the model is
    # rebuilt from its own JSON (FastAPI does), ``picture`` is gone and the URL stays.
    if model.picture is not None:
        model.image_url = picture_url(model.picture)
    return model


class Author(BaseModel):
    """A user as a post shows them: who, not how to reach them."""

    # Responses always carry ``image_url``: documented as required, default or not.
    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )

    id: int
    username: str
    name: str
    version: int = Field(default=1, exclude=True)
    picture: str | None = Field(default=None, exclude=True)
    """The digest of the user's picture, or None for the default one."""
    image_url: str = Field(default=picture_url(None), description=IMAGE_URL)

    @model_validator(mode="after")
    def _locate_picture(self) -> Author:
        return _with_image_url(self)


class UserPublic(Resource):
    """A user as anyone may read them: no email, no role."""

    # Responses always carry ``image_url`` (and a user's ``role``): documented as required.
    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )

    username: str
    name: str
    age: int
    city: str
    is_active: bool
    picture: str | None = Field(default=None, exclude=True)
    """The digest of the user's picture, or None for the default one."""
    image_url: str = Field(default=picture_url(None), description=IMAGE_URL)

    @model_validator(mode="after")
    def _locate_picture(self) -> UserPublic:
        return _with_image_url(self)


_PUBLIC_FIELDS = tuple(UserPublic.model_fields)


class User(UserPublic):
    """A user as they and admins read them."""

    email: str
    role: Role = "user"

    def public(self) -> UserPublic:
        """This user as anyone else may see them (from the fields, not a JSON round trip)."""
        return UserPublic.model_validate({name: getattr(self, name) for name in _PUBLIC_FIELDS})

    def author(self) -> Author:
        """This user as a post embeds them."""
        return Author(
            id=self.id,
            username=self.username,
            name=self.name,
            version=self.version,
            picture=self.picture,
        )


class Credentials(BaseModel):
    """What checking a login or a token needs of an account; never leaves the service."""

    id: int
    username: str
    role: Role
    is_active: bool
    password_hash: str
    token_version: int


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


def login_keys(users: list[NewUser]) -> tuple[list[str], list[str]]:
    """The folded email and username keys of ``users``, in order."""
    return [fold(user.email) for user in users], [fold(user.username) for user in users]


def login_conflicts(
    users: list[NewUser], taken_emails: set[str], taken_usernames: set[str]
) -> list[dict[str, Any]]:
    """Each email or username of a batch that is stored already or repeats an earlier item.

    The keys given are the stored ones among the batch's (``login_keys``).
    Each conflict names its item's ``index`` and the ``email`` or ``username``.
    """
    emails, usernames = login_keys(users)
    seen_emails, seen_usernames = set(taken_emails), set(taken_usernames)
    conflicts: list[dict[str, Any]] = []
    for index, user in enumerate(users):
        if emails[index] in seen_emails:
            conflicts.append({"index": index, "email": user.email})
        if usernames[index] in seen_usernames:
            conflicts.append({"index": index, "username": user.username})
        seen_emails.add(emails[index])
        seen_usernames.add(usernames[index])
    return conflicts


def username_from_email(email: str, user_id: int, taken: set[str]) -> str:
    """A username for an account that predates usernames (the migrations use it).

    The email's local part, kept to letters, digits, ``_ . -`` and 3-30
    characters; if that is taken (``taken`` holds folded usernames) or too
    short, the user's id makes it unique.
    """
    local = "".join(c for c in email.partition("@")[0] if c.isalnum() or c in "_.-")
    candidate = local[:USERNAME_MAX]
    if len(candidate) < 3 or fold(candidate) in taken:
        suffix = f"-{user_id}"
        candidate = (local or "user")[: USERNAME_MAX - len(suffix)] + suffix
    return candidate
