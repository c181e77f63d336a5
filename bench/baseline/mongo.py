"""The baseline's reads on MongoDB with PyMongo's async client, on the API's documents.

users ``{_id, username, name, age, city, is_active, picture, created_at, ...}``;
posts ``{_id, title, content, published, tags, author_id, created_at, ...}``
with ``tags`` stored already sorted; products ``{_id, name, price_cents, stock,
category_id, deleted_at, created_at, ...}``; categories ``{_id, name,
description, created_at, ...}``. Datetimes come back naive UTC (no
``tz_aware``: the same instant, less work). A page costs three commands, as in
the API: the page, the count, and the page's authors (posts) or categories
(products) in one ``$in``.
"""

from __future__ import annotations

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.baseline.params import ProductSearch
from bench.baseline.shapes import (
    Document,
    Json,
    author_json,
    category_json,
    iso_utc,
    posts_page,
    product_json,
    products_page,
    user_document_json,
)
from storage.money import from_cents


def product_filter(search: ProductSearch) -> Document:
    """The query document of ``search``: live products, price in cents, stock."""
    filter_: Document = {"deleted_at": None}
    price: Document = {}
    if search.min_cents is not None:
        price["$gte"] = search.min_cents
    if search.max_cents is not None:
        price["$lte"] = search.max_cents
    if price:
        filter_["price_cents"] = price
    if search.in_stock is not None:
        filter_["stock"] = {"$gt": 0} if search.in_stock else 0
    return filter_


class MongoReads:
    """MongoDB through PyMongo's async client."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client: AsyncMongoClient[Document] | None = None
        self.db: AsyncDatabase[Document] | None = None

    async def open(self) -> None:
        self.client = AsyncMongoClient(self.url)
        self.db = self.client.get_default_database(default="app")

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    async def user(self, user_id: int) -> Json | None:
        assert self.db is not None
        doc = await self.db["users"].find_one({"_id": user_id})
        return user_document_json(doc) if doc is not None else None

    async def posts(self, skip: int, limit: int) -> Json:
        assert self.db is not None
        posts, users = self.db["posts"], self.db["users"]
        published = {"published": True}  # drafts are their authors' and admins' only
        docs = await posts.find(published).sort("_id", 1).skip(skip).limit(limit).to_list()
        total = await posts.count_documents(published)
        # Every author of the page in one $in query (the API's find_by_ids).
        author_ids = sorted({doc["author_id"] for doc in docs})
        found = await users.find({"_id": {"$in": author_ids}}).to_list() if author_ids else []
        authors = {
            author["_id"]: author_json(
                author["_id"], author["username"], author["name"], author["picture"]
            )
            for author in found
        }
        items = [
            {
                "id": doc["_id"],
                "created_at": iso_utc(doc["created_at"]),
                "updated_at": iso_utc(doc["updated_at"]),
                "title": doc["title"],
                "content": doc["content"],
                "published": doc["published"],
                "tags": doc["tags"],
                "author": authors[doc["author_id"]],
            }
            for doc in docs
            # A post whose author just vanished is being deleted with them (as the API does).
            if doc["author_id"] in authors
        ]
        return posts_page(items, total, skip, limit)

    async def products(self, search: ProductSearch) -> Json:
        assert self.db is not None
        products, categories = self.db["products"], self.db["categories"]
        filter_ = product_filter(search)
        order = [("price_cents", 1), ("_id", 1)] if search.sort == "price" else [("_id", 1)]
        cursor = products.find(filter_).sort(order).skip(search.skip).limit(search.limit)
        docs = await cursor.to_list()
        total = await products.count_documents(filter_)
        wanted = sorted({doc["category_id"] for doc in docs if doc["category_id"] is not None})
        found = await categories.find({"_id": {"$in": wanted}}).to_list() if wanted else []
        by_id = {
            doc["_id"]: category_json(
                doc["_id"],
                doc["created_at"],
                doc["updated_at"],
                doc["name"],
                doc["description"],
                iso_utc,
            )
            for doc in found
        }
        items = [
            product_json(
                doc["_id"],
                doc["created_at"],
                doc["updated_at"],
                doc["name"],
                from_cents(doc["price_cents"]),
                doc["stock"],
                by_id.get(doc["category_id"]),
                iso_utc,
            )
            for doc in docs
        ]
        return products_page(items, total, search)
