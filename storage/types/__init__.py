"""Pydantic models shared by the protocol, both backends and the HTTP routers.

They are the request and response models of the API, so every validation rule
(lengths, ranges, normalisation) lives here once and holds for every backend.
"""

from storage.errors import Conflict
from storage.messages import CONFLICT
from storage.types.catalog import (
    CATEGORIES,
    PRODUCTS,
    Category,
    CategoryCreate,
    CategoryQuery,
    CategoryUpdate,
    Product,
    ProductBatch,
    ProductCreate,
    ProductQuery,
    ProductUpdate,
)
from storage.types.common import MAX_ID, Page, Position, SortKey, ensure_current, utc_now
from storage.types.orders import (
    ORDERS,
    Order,
    OrderCreate,
    OrderItem,
    OrderLine,
    OrderQuery,
)
from storage.types.pictures import PICTURES
from storage.types.posts import (
    EVERY_DRAFT,
    POSTS,
    PUBLISHED_ONLY,
    TAGS,
    DraftScope,
    Post,
    PostCreate,
    PostQuery,
    PostUpdate,
    TagCount,
    TagQuery,
)
from storage.types.schema import Filter, Listing
from storage.types.users import (
    USERS,
    Author,
    Credentials,
    NewUser,
    PasswordChange,
    Role,
    SignUp,
    User,
    UserBatch,
    UserImport,
    UserPublic,
    UserQuery,
    UserUpdate,
)

LISTINGS = (USERS, POSTS, TAGS, CATEGORIES, PRODUCTS, ORDERS)
"""Every list endpoint's declaration, for backends and tests that cover them all."""
DECLARED = (*LISTINGS, PICTURES)
"""Every resource's declaration, listed or not (pictures are only read one by one)."""
UNIQUE_KEYS: dict[tuple[str, str], str | None] = {
    (listing.resource, name): message
    for listing in DECLARED
    for name, message in listing.unique.items()
}
"""(resource, stored field) of every unique key -> its conflict message (None: generic)."""


def unique_conflict(resource: str | None, field: str | None) -> Conflict:
    """The 409 for a write that collided with the unique key ``field`` of ``resource``.

    Both backends translate every unique violation through this one map: a
    declared key gets its message (``Listing.unique``) and names itself in
    ``Conflict.key``; any other (an index an operator added, a bug) gets the
    same generic message on every store, with ``key`` None.
    """
    if resource is None or field is None or (resource, field) not in UNIQUE_KEYS:
        return Conflict(CONFLICT)
    return Conflict(UNIQUE_KEYS[resource, field] or CONFLICT, key=f"{resource}.{field}")


__all__ = [
    "CATEGORIES",
    "DECLARED",
    "EVERY_DRAFT",
    "LISTINGS",
    "MAX_ID",
    "ORDERS",
    "PICTURES",
    "POSTS",
    "PRODUCTS",
    "PUBLISHED_ONLY",
    "TAGS",
    "UNIQUE_KEYS",
    "USERS",
    "Author",
    "Category",
    "CategoryCreate",
    "CategoryQuery",
    "CategoryUpdate",
    "Credentials",
    "DraftScope",
    "Filter",
    "Listing",
    "NewUser",
    "Order",
    "OrderCreate",
    "OrderItem",
    "OrderLine",
    "OrderQuery",
    "Page",
    "PasswordChange",
    "Position",
    "Post",
    "PostCreate",
    "PostQuery",
    "PostUpdate",
    "Product",
    "ProductBatch",
    "ProductCreate",
    "ProductQuery",
    "ProductUpdate",
    "Role",
    "SignUp",
    "SortKey",
    "TagCount",
    "TagQuery",
    "User",
    "UserBatch",
    "UserImport",
    "UserPublic",
    "UserQuery",
    "UserUpdate",
    "ensure_current",
    "unique_conflict",
    "utc_now",
]
