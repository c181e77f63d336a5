"""The API's JSON, built by hand from driver rows and documents: the same bytes, no models.

Keys in the order of the API's response models (id and timestamps first);
compact UTF-8 like FastAPI's output, so the bytes on the wire match too.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from api.pagination import Cursors
from api.settings import Settings
from bench.baseline.params import ProductSearch
from storage.types import PostQuery
from storage.types.pictures import picture_url

Json = dict[str, Any]
Document = dict[str, Any]
Stamp = Callable[[Any], str]
"""Turns a timestamp as a driver returns it into its JSON string."""

# One encoder built once: json.dumps with non-default options builds a new one per call.
encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def iso_utc(value: datetime) -> str:
    """A UTC timestamp as the API writes it: ISO 8601, milliseconds, ``Z``.

    A naive value is UTC (SQLite, MariaDB and PyMongo without ``tz_aware``
    store and return naive UTC).
    """
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def iso_utc_text(value: str) -> str:
    """A SQLite timestamp (SQLAlchemy's naive-UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    return iso_utc(datetime.fromisoformat(value))


def user_json(row: Sequence[Any], stamp: Stamp) -> Json:
    """The API's public user object (what anyone reads) from the ``USER_COLUMNS``.

    ``bool()`` because SQLite and MariaDB return booleans as 0/1.
    """
    return {
        "id": row[0],
        "created_at": stamp(row[1]),
        "updated_at": stamp(row[2]),
        "username": row[3],
        "name": row[4],
        "age": row[5],
        "city": row[6],
        "is_active": bool(row[7]),
        "image_url": picture_url(row[8]),
    }


def user_document_json(doc: Document) -> Json:
    """The API's public user object from a MongoDB user document."""
    return {
        "id": doc["_id"],
        "created_at": iso_utc(doc["created_at"]),
        "updated_at": iso_utc(doc["updated_at"]),
        "username": doc["username"],
        "name": doc["name"],
        "age": doc["age"],
        "city": doc["city"],
        "is_active": doc["is_active"],
        "image_url": picture_url(doc["picture"]),
    }


def author_json(user_id: int, username: str, name: str, picture: str | None) -> Json:
    """A post's author as the API embeds it: who, not how to reach them, and their picture."""
    return {"id": user_id, "username": username, "name": name, "image_url": picture_url(picture)}


def category_json(
    category_id: int, created: Any, updated: Any, name: str, description: str | None, stamp: Stamp
) -> Json:
    """A product's category as the API embeds it."""
    return {
        "id": category_id,
        "created_at": stamp(created),
        "updated_at": stamp(updated),
        "name": name,
        "description": description,
    }


def product_json(
    product_id: int,
    created: Any,
    updated: Any,
    name: str,
    price: Decimal,
    stock: int,
    category: Json | None,
    stamp: Stamp,
) -> Json:
    """A live product as the API shows it; ``price`` stays exact (the cursor needs it)."""
    return {
        "id": product_id,
        "created_at": stamp(created),
        "updated_at": stamp(updated),
        "name": name,
        "price": price,  # made a JSON number by ``page_json`` after the cursor is taken
        "stock": stock,
        "category": category,
        "deleted_at": None,
    }


# The API's cursor for the next page: the same signature work the API does.
@functools.cache
def _cursors() -> Cursors:
    # The key the API's settings give in this environment (the bench sets it for both).
    return Cursors(Settings().signing_key().encode())


def posts_page(items: list[Json], total: int, skip: int, limit: int) -> Json:
    """``GET /posts``' page envelope, with the cursor of the next page when there is one."""
    cursor = None
    if items and skip + limit < total:
        query = PostQuery(skip=skip, limit=limit)
        cursor = _cursors().encode("/posts", query, SimpleNamespace(id=items[-1]["id"]))
    return {"items": items, "total": total, "skip": skip, "limit": limit, "next_cursor": cursor}


def products_page(items: list[Json], total: int, search: ProductSearch) -> Json:
    """``GET /products``' page envelope; prices become JSON numbers as the API writes them."""
    cursor = None
    if items and search.skip + search.limit < total:
        last = items[-1]
        position = SimpleNamespace(id=last["id"], price=last["price"])
        cursor = _cursors().encode("/products", search.query(), position)
    for item in items:
        item["price"] = float(item["price"])  # the API's Decimal -> float serializer
    return {
        "items": items,
        "total": total,
        "skip": search.skip,
        "limit": search.limit,
        "next_cursor": cursor,
    }
