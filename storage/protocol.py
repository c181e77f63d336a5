"""The storage contract every backend implements.

Each method is one operation: the backend opens and commits (or rolls back)
its own transaction, so no session, client or cursor crosses this line. On SQL
it is atomic. On MongoDB, without multi-document transactions, a method that
touches several documents keeps the same rules by checking after it writes and
undoing on conflict (see ``storage/mongo``); readers may briefly see the middle.
Methods take and return the pydantic models of ``storage.types`` and raise only
the neutral errors of ``storage.errors``; any of them may raise ``Unavailable``
when the database cannot be reached.
"""

from __future__ import annotations

from typing import Protocol

from storage.instrumentation import PoolUsage
from storage.types import (
    Category,
    CategoryCreate,
    CategoryQuery,
    CategoryUpdate,
    Page,
    Post,
    PostCreate,
    PostQuery,
    PostUpdate,
    Product,
    ProductCreate,
    ProductQuery,
    ProductUpdate,
    TagCount,
    TagQuery,
    User,
    UserCreate,
    UserQuery,
    UserUpdate,
)


class UserStore(Protocol):
    """Users. Emails are unique regardless of letter case (they are stored lower-case)."""

    async def create(self, data: UserCreate) -> User:
        """Store a new user. Raises ``Conflict`` if the email is already registered."""
        ...

    async def get(self, user_id: int) -> User:
        """Return one user. Raises ``NotFound``."""
        ...

    async def list(self, query: UserQuery) -> Page[User]:
        """Return the page of users matching the query's filters, in its order."""
        ...

    async def update(self, user_id: int, changes: UserUpdate) -> User:
        """Apply the fields the client sent and bump ``updated_at``.

        Raises ``NotFound``, or ``Conflict`` if the new email belongs to another user.
        """
        ...

    async def delete(self, user_id: int) -> None:
        """Delete a user and all of their posts. Raises ``NotFound``."""
        ...


class PostStore(Protocol):
    """Posts, always returned with their author embedded and tags sorted."""

    async def create(self, data: PostCreate) -> Post:
        """Store a new post. Raises ``NotFound`` if the author does not exist."""
        ...

    async def get(self, post_id: int) -> Post:
        """Return one post. Raises ``NotFound``."""
        ...

    async def list(self, query: PostQuery) -> Page[Post]:
        """Return the page of posts matching the query, authors and tags included.

        The number of database round trips does not depend on the page size.
        """
        ...

    async def list_by_author(self, author_id: int, query: PostQuery) -> Page[Post]:
        """Like ``list``, restricted to one author. Raises ``NotFound`` if there is no such user."""
        ...

    async def update(self, post_id: int, changes: PostUpdate) -> Post:
        """Apply the fields the client sent (``tags`` replaces the list). Raises ``NotFound``."""
        ...

    async def publish(self, post_id: int) -> Post:
        """Mark a post published; publishing twice changes nothing. Raises ``NotFound``."""
        ...

    async def delete(self, post_id: int) -> None:
        """Delete a post. Raises ``NotFound``."""
        ...


class TagStore(Protocol):
    """Tags exist through the posts that carry them."""

    async def list(self, query: TagQuery) -> Page[TagCount]:
        """Return tags carried by at least one post, with their post counts."""
        ...


class CategoryStore(Protocol):
    """Categories. Names are unique regardless of letter case; the case given is kept."""

    async def create(self, data: CategoryCreate) -> Category:
        """Store a new category. Raises ``Conflict`` if the name is taken."""
        ...

    async def get(self, category_id: int) -> Category:
        """Return one category. Raises ``NotFound``."""
        ...

    async def list(self, query: CategoryQuery) -> Page[Category]:
        """Return a page of categories."""
        ...

    async def update(self, category_id: int, changes: CategoryUpdate) -> Category:
        """Apply the fields the client sent. Raises ``NotFound`` or ``Conflict`` (name taken)."""
        ...

    async def delete(self, category_id: int) -> None:
        """Delete a category. Raises ``NotFound``, or ``Conflict`` while products use it."""
        ...


class ProductStore(Protocol):
    """Products, always returned with their category embedded (or null)."""

    async def create(self, data: ProductCreate) -> Product:
        """Store a new product. Raises ``NotFound`` if the category does not exist."""
        ...

    async def get(self, product_id: int) -> Product:
        """Return one product. Raises ``NotFound``."""
        ...

    async def list(self, query: ProductQuery) -> Page[Product]:
        """Return the page of products matching the query, categories included."""
        ...

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        """Apply the fields the client sent. Raises ``NotFound`` (product or new category)."""
        ...

    async def delete(self, product_id: int) -> None:
        """Delete a product. Raises ``NotFound``."""
        ...


class Storage(Protocol):
    """One open backend: the resource stores plus health and shutdown."""

    backend: str
    """``"sql"`` or ``"mongo"``."""
    database: str
    """What is behind it: ``sqlite``, ``postgresql``, ``mysql``, ``mongodb`` or ``mongomock``."""

    @property
    def users(self) -> UserStore: ...
    @property
    def posts(self) -> PostStore: ...
    @property
    def tags(self) -> TagStore: ...
    @property
    def categories(self) -> CategoryStore: ...
    @property
    def products(self) -> ProductStore: ...

    async def ping(self) -> None:
        """Round-trip to the database. Raises ``Unavailable`` if it does not answer."""
        ...

    def pool_usage(self) -> list[PoolUsage]:
        """Each connection pool's state now, for metrics; no I/O.

        Round trips need nothing from callers: every backend reports them to
        ``storage.instrumentation`` by itself (see ``measuring()`` there).
        """
        ...

    async def close(self) -> None:
        """Release connections. The storage must not be used afterwards."""
        ...
