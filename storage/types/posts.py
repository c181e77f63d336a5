"""Posts, their tags, and tag counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool

from storage.types.common import (
    NORMALISED,
    Id,
    Input,
    ListQuery,
    Patch,
    Resource,
    StrictId,
    key_fits,
)
from storage.types.schema import Filter, Listing, sort_fields
from storage.types.text import fold, normalise
from storage.types.users import Author

TITLE_MAX, CONTENT_MAX, TAG_MAX = 100, 20_000, 30

Title = Annotated[str, NORMALISED, Field(min_length=5, max_length=TITLE_MAX), key_fits(TITLE_MAX)]
Content = Annotated[
    str, NORMALISED, Field(min_length=20, max_length=CONTENT_MAX), key_fits(CONTENT_MAX)
]


def _tag_form(value: Any) -> Any:
    # A tag is its own key: the folded form is what is stored, shown and matched,
    # so its length and pattern are checked on that form.
    return fold(normalise(value)) if isinstance(value, str) else value


TagName = Annotated[
    str,
    BeforeValidator(_tag_form),
    Field(min_length=1, max_length=TAG_MAX, pattern=r"^[^\s]+$", description="One word."),
]


def _normalise_tags(tags: list[str]) -> list[str]:
    # One canonical form on every backend: folded (per item), unique, sorted by code point.
    return sorted(set(tags))


Tags = Annotated[list[TagName], Field(max_length=20), AfterValidator(_normalise_tags)]

PostSort = Literal["id", "-id", "title", "-title", "created_at", "-created_at"]
TagSort = Literal["name", "-name", "post_count", "-post_count"]

POSTS = Listing(
    resource="posts",
    filters=(
        Filter("published", "equals", ("published",)),
        Filter("author_id", "equals", ("author_id",)),
        Filter("tag", "has", ("tags",)),
        # Substring search over up to 20,000 characters: a scan on every store.
        Filter("q", "contains", ("title_key", "content_key"), indexed=False),
    ),
    sorts=sort_fields(PostSort),
    keys={"title": "title_key", "content": "content_key"},
)
TAGS = Listing(
    resource="tags",
    filters=(),
    sorts=sort_fields(TagSort),
    keys={},
    computed_sorts=frozenset({"post_count"}),
)


class PostCreate(Input):
    """Body of ``POST /posts``. Tags are case-folded, de-duplicated and sorted."""

    title: Title
    content: Content
    author_id: StrictId | None = None
    """Who writes it: the caller if left out (only admins may name someone else)."""
    published: StrictBool = False
    tags: Tags = Field(default_factory=list)


class PostUpdate(Patch):
    """Body of ``PATCH /posts/{id}``; ``tags``, when sent, replaces the whole list."""

    title: Title | None = None
    content: Content | None = None
    published: StrictBool | None = None
    tags: Tags | None = None


class Post(Resource):
    """A stored post with its author embedded."""

    title: str
    content: str
    published: bool
    tags: list[str]
    author: Author

    def etag(self) -> str:
        return f'"{self.version}.{self.author.version}"'


class PostQuery(ListQuery):
    """Filters, order and page of ``GET /posts``.

    ``q`` matches a case-insensitive substring of the title or the content, taken literally.
    """

    listing = POSTS

    published: bool | None = None
    author_id: Id | None = None
    tag: TagName | None = None
    q: Annotated[str | None, NORMALISED, Field(max_length=100)] = None
    sort: PostSort = "id"


@dataclass(frozen=True, slots=True)
class DraftScope:
    """Which unpublished posts a read may return: none, one author's, or every one.

    Published posts are everyone's to read; a draft is its author's and the
    admins'. ``api.auth.policy.draft_scope`` decides a caller's scope from the
    permission table; every read of posts (one post, lists and their totals, a
    user's posts, tag counts) takes it and applies it in the store's query.
    """

    everyone: bool = False
    """Every draft (admins)."""
    author_id: int | None = None
    """The drafts of this author only (a signed-in caller's own)."""

    def shows(self, post: Post) -> bool:
        """Whether a read in this scope may return ``post``."""
        return post.published or self.everyone or post.author.id == self.author_id


PUBLISHED_ONLY = DraftScope()
"""Anonymous readers: no drafts."""
EVERY_DRAFT = DraftScope(everyone=True)
"""Admins (and operator tools such as copies): every post."""


class TagCount(Input):
    """A tag and the number of posts that carry it."""

    name: str
    post_count: int


class TagQuery(ListQuery):
    """Order and page of ``GET /tags`` (ties are broken by name)."""

    listing = TAGS

    sort: TagSort = "name"
