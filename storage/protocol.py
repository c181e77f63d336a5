"""The storage contract every backend implements.

Each method is one atomic operation: the backend opens and commits (or rolls
back) its own transaction, so no session, client or cursor crosses this line.
On SQL that is one database transaction; on MongoDB a method that touches
several documents runs one multi-document transaction (see
``storage.mongo.runner``), and a single-document write is atomic by itself.
Methods take and return the pydantic models of ``storage.types`` and raise only
the neutral errors of ``storage.errors``; any of them may raise ``Unavailable``
when the database cannot be reached (or stays too busy to finish).

Lists return at most ``query.limit`` items from ``query.skip`` or after
``query.position``, ``total`` only when ``query.count``; ``Page.of`` records
whether more follow. Writes that take ``expected`` raise ``PreconditionFailed``
unless the record's current ``etag()`` equals it, checked inside the write.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Protocol

from storage.instrumentation import PoolUsage, ReplicaStatus
from storage.types import (
    Category,
    CategoryCreate,
    CategoryQuery,
    CategoryUpdate,
    Credentials,
    DraftScope,
    NewUser,
    Order,
    OrderCreate,
    OrderQuery,
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
    UserQuery,
    UserUpdate,
)
from storage.types.pictures import NewPicture
from storage.types.records import Census, Record


class UserStore(Protocol):
    """Users. Emails and usernames are each unique regardless of letter case."""

    async def create(self, data: NewUser) -> User:
        """Store a new user. Raises ``Conflict`` naming the email or username that is taken."""
        ...

    async def get(self, user_id: int) -> User:
        """Return one user. Raises ``NotFound``."""
        ...

    async def list(self, query: UserQuery) -> Page[User]:
        """Return the page of users matching the query's filters, in its order."""
        ...

    async def create_many(self, data: builtins.list[NewUser]) -> builtins.list[User]:
        """Store all of the users or none, in order.

        Raises ``Conflict`` naming (in ``details``, with their indexes) every email
        and username that is repeated in the batch or already taken.
        """
        ...

    async def update(self, user_id: int, changes: UserUpdate, expected: str | None = None) -> User:
        """Apply the fields the client sent and bump ``updated_at``.

        Raises ``NotFound``, ``PreconditionFailed``, or ``Conflict`` if the new
        email belongs to another user.
        """
        ...

    async def delete(self, user_id: int, expected: str | None = None) -> None:
        """Delete a user and all of their posts (their orders stay, as history).

        Their picture goes too, unless another user has the same one.
        Raises ``NotFound`` or ``PreconditionFailed``.
        """
        ...


class PictureStore(Protocol):
    """Profile pictures, stored once per content (``NewPicture.digest``) and shared.

    A user names at most one picture (``User.picture``). A picture no user
    names any more is deleted in the same transaction that stopped naming it,
    so the store holds exactly the pictures in use, and a backup of the
    database holds them all.
    """

    async def image(self, digest: str, size: int) -> bytes:
        """The WebP bytes of picture ``digest`` at ``size`` px. Raises ``NotFound``."""
        ...

    async def set(self, user_id: int, picture: NewPicture) -> User:
        """Make ``picture`` the user's, storing it unless the same one is stored already.

        In one transaction: the picture is stored (or found), the user names it
        (``updated_at`` and the version change, hence the ETag), and the
        picture the user had before is deleted if no other user names it.
        Returns the user. Raises ``NotFound`` for no such user.
        """
        ...

    async def remove(self, user_id: int) -> User:
        """Give the user the default picture again, deleting theirs if no other user names it.

        One transaction; the version changes only if the user had a picture.
        Returns the user. Raises ``NotFound`` for no such user.
        """
        ...


class CredentialStore(Protocol):
    """What logging in and checking a token read of an account, and password changes.

    Credentials never leave the service: ``api.security`` is their only reader.
    """

    async def by_login(self, login: str) -> Credentials | None:
        """The account whose username or email folds to ``login``'s key, or None."""
        ...

    async def by_id(self, user_id: int) -> Credentials | None:
        """The account with this id, or None (deleted)."""
        ...

    async def set_password(self, user_id: int, password_hash: str) -> None:
        """Store a new password hash and invalidate every token issued before.

        Raises ``NotFound``.
        """
        ...


class PostStore(Protocol):
    """Posts, always returned with their author embedded and tags sorted."""

    async def create(self, data: PostCreate) -> Post:
        """Store a new post. Raises ``NotFound`` if the author does not exist."""
        ...

    async def get(self, post_id: int, drafts: DraftScope) -> Post:
        """Return one post. Raises ``NotFound``, also for a draft ``drafts`` does not show."""
        ...

    async def list(self, query: PostQuery, drafts: DraftScope) -> Page[Post]:
        """Return the page of posts matching the query, authors and tags included.

        Drafts outside ``drafts`` are left out of the page and of its total.
        The number of database round trips does not depend on the page size.
        """
        ...

    async def list_by_author(
        self, author_id: int, query: PostQuery, drafts: DraftScope
    ) -> Page[Post]:
        """Like ``list``, restricted to one author. Raises ``NotFound`` if there is no such user."""
        ...

    async def update(self, post_id: int, changes: PostUpdate, expected: str | None = None) -> Post:
        """Apply the fields the client sent (``tags`` replaces the list).

        Raises ``NotFound`` or ``PreconditionFailed``.
        """
        ...

    async def publish(self, post_id: int) -> Post:
        """Mark a post published; publishing twice changes nothing. Raises ``NotFound``."""
        ...

    async def delete(self, post_id: int, expected: str | None = None) -> None:
        """Delete a post. Raises ``NotFound`` or ``PreconditionFailed``."""
        ...


class TagStore(Protocol):
    """Tags exist through the posts that carry them."""

    async def list(self, query: TagQuery, drafts: DraftScope) -> Page[TagCount]:
        """Return tags carried by at least one post ``drafts`` shows, with their post counts.

        A tag carried only by drafts the reader may not see is not listed.
        """
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

    async def update(
        self, category_id: int, changes: CategoryUpdate, expected: str | None = None
    ) -> Category:
        """Apply the fields the client sent.

        Raises ``NotFound``, ``PreconditionFailed`` or ``Conflict`` (name taken).
        """
        ...

    async def delete(self, category_id: int, expected: str | None = None) -> None:
        """Delete a category, detaching the deleted products that still name it.

        Raises ``NotFound``, ``PreconditionFailed``, or ``Conflict`` while a
        product that is not deleted uses it.
        """
        ...


class ProductStore(Protocol):
    """Products, always returned with their category embedded (or null).

    Deleting a product hides it (``deleted_at``): lists and look-ups skip it and
    orders refuse it, but the orders that name it keep their history and it
    can be restored. ``NotFound`` covers deleted products, except for ``restore``.
    """

    async def create(self, data: ProductCreate) -> Product:
        """Store a new product. Raises ``NotFound`` if the category does not exist."""
        ...

    async def create_many(self, data: builtins.list[ProductCreate]) -> builtins.list[Product]:
        """Store all of the products or none. Raises ``NotFound`` naming missing categories."""
        ...

    async def get(self, product_id: int) -> Product:
        """Return one product that is not deleted. Raises ``NotFound``."""
        ...

    async def list(self, query: ProductQuery) -> Page[Product]:
        """Return the page of products matching the query, categories included."""
        ...

    async def update(
        self, product_id: int, changes: ProductUpdate, expected: str | None = None
    ) -> Product:
        """Apply the fields the client sent.

        Raises ``NotFound`` (product or new category) or ``PreconditionFailed``.
        """
        ...

    async def delete(self, product_id: int, expected: str | None = None) -> None:
        """Hide a product (soft delete). Raises ``NotFound`` or ``PreconditionFailed``."""
        ...

    async def restore(self, product_id: int) -> Product:
        """Bring a deleted product back (without a category if its category was deleted).

        Raises ``NotFound`` if it never existed, ``Conflict`` if it is not deleted.
        """
        ...


class OrderStore(Protocol):
    """Orders: placing one takes every line's stock or nothing; cancelling gives it back once."""

    async def place(self, data: OrderCreate) -> Order:
        """Take the stock of every line and store the order, all or nothing.

        Each line captures the product's name and price. Raises ``NotFound``
        for an unknown user or an unknown or deleted product, ``Conflict``
        naming a product that has too little stock.
        """
        ...

    async def get(self, order_id: int) -> Order:
        """Return one order. Raises ``NotFound``."""
        ...

    async def list_by_user(self, user_id: int, query: OrderQuery) -> Page[Order]:
        """A user's orders, newest first by default. Raises ``NotFound`` for no such user."""
        ...

    async def cancel(self, order_id: int, expected: str | None = None) -> Order:
        """Cancel a placed order and give its stock back, exactly once.

        Raises ``NotFound``, ``PreconditionFailed``, or ``Conflict`` if it is
        already cancelled (and then gives nothing back).
        """
        ...


class TransferStore(Protocol):
    """Every stored record in full, by id: what ``python -m api copy`` reads and writes.

    ``kind`` is a record class of ``storage.types.records`` (``RECORDS``); a
    record carries every stored field but the derived ones, which ``import_``
    recomputes. Not for serving requests: it bypasses the rules the other
    stores enforce (ids are given, versions and timestamps kept).
    """

    async def export[R: Record](self, kind: type[R], after_id: int, limit: int) -> list[R]:
        """Up to ``limit`` records of ``kind`` with ids above ``after_id``, ascending by id."""
        ...

    async def import_[R: Record](self, kind: type[R], records: Sequence[R]) -> None:
        """Store ``records`` with their ids, replacing any stored record with the same id.

        Idempotent: importing a batch again (a retry, a resumed copy) leaves
        the same data. Records of other kinds they refer to must be there
        already (the order of ``RECORDS``). The batch is applied in id order;
        SQL applies it in one transaction, MongoDB one document at a time, so
        an interrupted import leaves a prefix of it. It does not move the id
        source: see ``continue_ids``.
        """
        ...

    async def census(self, kind: type[Record]) -> Census:
        """How many records of ``kind`` are stored, the highest id, and the id source's place."""
        ...

    async def continue_ids(self, kind: type[Record], after: int) -> None:
        """Make the next new record of ``kind`` get an id above ``after`` and every stored id.

        Never moves the id source back.
        """
        ...


class Storage(Protocol):
    """One open backend: the resource stores plus health and shutdown."""

    backend: str
    """``"sql"`` or ``"mongo"``."""
    database: str
    """What is behind it: ``sqlite``, ``postgresql``, ``mysql``, ``mongodb`` or ``mongoeco``."""
    read_lag_bound: float | None
    """Seconds a read may lag the latest commit (read replicas, Galera nodes, MongoDB
    secondaries); None when every read sees every acknowledged write. When set, the API
    tracks signed-in callers' commit positions for that long (``storage.consistency``)."""

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
    @property
    def orders(self) -> OrderStore: ...
    @property
    def credentials(self) -> CredentialStore: ...
    @property
    def pictures(self) -> PictureStore: ...
    @property
    def transfer(self) -> TransferStore: ...

    async def ping(self) -> None:
        """Round-trip to the database. Raises ``Unavailable`` if it does not answer."""
        ...

    def pool_usage(self) -> list[PoolUsage]:
        """Each connection pool's state now, for metrics; no I/O.

        Round trips need nothing from callers: every backend reports them to
        ``storage.instrumentation`` by itself (see ``measuring()`` there).
        """
        ...

    def replicas(self) -> list[ReplicaStatus]:
        """Each read replica's (or secondary's) state and lag, from background probes; no I/O."""
        ...

    async def close(self) -> None:
        """Release connections. The storage must not be used afterwards."""
        ...
