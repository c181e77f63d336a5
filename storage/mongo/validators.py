"""``$jsonSchema`` validators: the server refuses a document the code would not write.

They restate the shape every document has (all fields present, explicit nulls)
so that a bug or a hand-made edit cannot store a post without ``tags`` or a
price as a float. The limits of values are enforced by the pydantic types; the
validators only pin types and presence, which is what the filters rely on.
"""

from __future__ import annotations

from typing import Any

from storage.mongo.documents import CATEGORIES, GUARD, ORDERS, PICTURES, POSTS, PRODUCTS, USERS
from storage.types.pictures import SIZES, column_of

_ID = {"bsonType": ["int", "long"], "minimum": 1}
_STRING = {"bsonType": "string"}
_BOOL = {"bsonType": "bool"}
_DATE = {"bsonType": "date"}
_INT = {"bsonType": ["int", "long"]}
_DIGEST = {"bsonType": "string", "pattern": "^[0-9a-f]{64}$"}


def _object(**properties: dict[str, Any]) -> dict[str, Any]:
    # Every field is required (documents carry explicit nulls) and nothing else is allowed.
    fields = {
        "_id": _ID,
        **properties,
        "created_at": _DATE,
        "updated_at": _DATE,
        "version": {**_INT, "minimum": 1},
    }
    return {
        "$jsonSchema": {
            "bsonType": "object",
            "required": list(fields),
            "additionalProperties": False,
            "properties": fields,
        }
    }


VALIDATORS: dict[str, dict[str, Any]] = {
    USERS: _object(
        username=_STRING,
        username_key=_STRING,
        role={"bsonType": "string", "enum": ["user", "admin"]},
        password_hash=_STRING,
        token_version={**_INT, "minimum": 0},
        name=_STRING,
        name_key=_STRING,
        email=_STRING,
        email_key=_STRING,
        age={**_INT, "minimum": 0},
        city=_STRING,
        city_key=_STRING,
        is_active=_BOOL,
        picture={"bsonType": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
        **{GUARD: _INT},
    ),
    PICTURES: _object(
        digest=_DIGEST,
        **{column_of(size): {"bsonType": "binData"} for size in SIZES},
        **{GUARD: _INT},
    ),
    POSTS: _object(
        title=_STRING,
        title_key=_STRING,
        content=_STRING,
        content_key=_STRING,
        published=_BOOL,
        tags={"bsonType": "array", "items": _STRING, "uniqueItems": True},
        author_id=_ID,
    ),
    CATEGORIES: _object(
        name=_STRING,
        name_key=_STRING,
        description={"bsonType": ["string", "null"]},
        **{GUARD: _INT},
    ),
    PRODUCTS: _object(
        name=_STRING,
        name_key=_STRING,
        price_cents={**_INT, "minimum": 1},
        stock={**_INT, "minimum": 0},
        category_id={"bsonType": ["int", "long", "null"], "minimum": 1},
        deleted_at={"bsonType": ["date", "null"]},
    ),
    ORDERS: _object(
        user_id=_ID,
        status={"bsonType": "string", "enum": ["placed", "cancelled"]},
        lines={
            "bsonType": "array",
            "minItems": 1,
            "items": {
                "bsonType": "object",
                "required": [
                    "product_id",
                    "name",
                    "unit_price_cents",
                    "quantity",
                    "line_total_cents",
                ],
                "additionalProperties": False,
                "properties": {
                    "product_id": _ID,
                    "name": _STRING,
                    "unit_price_cents": {**_INT, "minimum": 1},
                    "quantity": {**_INT, "minimum": 1},
                    "line_total_cents": {**_INT, "minimum": 1},
                },
            },
        },
        total_cents={**_INT, "minimum": 1},
    ),
}
"""Validator of each resource collection, by collection name."""
