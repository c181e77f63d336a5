"""Pydantic models shared by the protocol, both backends and the HTTP routers.

They are the request and response models of the API, so every validation rule
(lengths, ranges, normalisation) lives here once and holds for every backend.
"""

from storage.types.catalog import (
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
from storage.types.posts import Post, PostCreate, PostQuery, PostUpdate, TagCount, TagQuery
from storage.types.users import User, UserCreate, UserQuery, UserUpdate

__all__ = [
    "MAX_ID",
    "Category",
    "CategoryCreate",
    "CategoryQuery",
    "CategoryUpdate",
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
