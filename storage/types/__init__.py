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
    ProductCreate,
    ProductQuery,
    ProductUpdate,
)
from storage.types.common import MAX_ID, Page, SortKey, utc_now
from storage.types.posts import (
    POSTS,
    TAGS,
    Post,
    PostCreate,
    PostQuery,
    PostUpdate,
    TagCount,
    TagQuery,
)
from storage.types.schema import Filter, Listing
from storage.types.users import USERS, User, UserCreate, UserQuery, UserUpdate

LISTINGS = (USERS, POSTS, TAGS, CATEGORIES, PRODUCTS)
"""Every list endpoint's declaration, for backends and tests that cover them all."""

__all__ = [
    "CATEGORIES",
    "LISTINGS",
    "MAX_ID",
    "POSTS",
    "PRODUCTS",
    "TAGS",
    "USERS",
    "Category",
    "CategoryCreate",
    "CategoryQuery",
    "CategoryUpdate",
    "Filter",
    "Listing",
    "Page",
    "Post",
    "PostCreate",
    "PostQuery",
    "PostUpdate",
    "Product",
    "ProductCreate",
    "ProductQuery",
    "ProductUpdate",
    "SortKey",
    "TagCount",
    "TagQuery",
    "User",
    "UserCreate",
    "UserQuery",
    "UserUpdate",
    "utc_now",
]
