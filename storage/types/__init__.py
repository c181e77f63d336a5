"""Pydantic models shared by the protocol, both backends and the HTTP routers.

They are the request and response models of the API, so every validation rule
(lengths, ranges, normalisation) lives here once and holds for every backend.
"""

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

__all__ = [
    "CATEGORIES",
    "EVERY_DRAFT",
    "LISTINGS",
    "MAX_ID",
    "ORDERS",
    "POSTS",
    "PRODUCTS",
    "PUBLISHED_ONLY",
    "TAGS",
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
    "utc_now",
]
