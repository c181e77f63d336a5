"""Posts, their tags, and tag counts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from storage.types.common import Id, Input, ListQuery, Patch, Resource
from storage.types.users import User

Title = Annotated[str, Field(min_length=5, max_length=100)]
Content = Annotated[str, Field(min_length=20, max_length=20_000)]
TagName = Annotated[
    str,
    Field(min_length=1, max_length=30, pattern=r"^[^\s]+$", description="One word, no spaces."),
    AfterValidator(str.lower),
]


def _normalise_tags(tags: list[str]) -> list[str]:
    # One canonical form on every backend: lower-case (done per item), unique, sorted.
    return sorted(set(tags))


Tags = Annotated[list[TagName], Field(max_length=20), AfterValidator(_normalise_tags)]

PostSort = Literal["id", "-id", "title", "-title", "created_at", "-created_at"]
TagSort = Literal["name", "-name", "post_count", "-post_count"]


class PostCreate(Input):
    """Body of ``POST /posts``. Tags are lower-cased, de-duplicated and sorted."""

    title: Title
    content: Content
    author_id: Annotated[Id, Field(strict=True)]
    published: Annotated[bool, Field(strict=True)] = False
    tags: Tags = Field(default_factory=list)


class PostUpdate(Patch):
    """Body of ``PATCH /posts/{id}``; ``tags``, when sent, replaces the whole list."""

    title: Title | None = None
    content: Content | None = None
    published: Annotated[bool | None, Field(strict=True)] = None
    tags: Tags | None = None


class Post(Resource):
    """A stored post with its author embedded."""

    title: str
    content: str
    published: bool
    tags: list[str]
    author: User


class PostQuery(ListQuery):
    """Filters, order and page of ``GET /posts``.

    ``q`` matches a case-insensitive substring of the title or the content, taken literally.
    """

    published: bool | None = None
    author_id: Id | None = None
    tag: Annotated[str | None, Field(max_length=30), AfterValidator(lambda t: t and t.lower())] = (
        None
    )
    q: Annotated[str | None, Field(max_length=100)] = None
    sort: PostSort = "id"


class TagCount(Input):
    """A tag and the number of posts that carry it."""

    name: str
    post_count: int


class TagQuery(ListQuery):
    """Order and page of ``GET /tags`` (ties are broken by name)."""

    sort: TagSort = "name"
