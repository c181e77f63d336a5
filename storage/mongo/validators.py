"""``$jsonSchema`` validators: the server refuses a document the code would not write.

They pin the shape every document has (all fields present, explicit nulls,
nothing else) so that a bug or a hand-made edit cannot store a post without
``tags`` or a price as a float. They are derived, not written: from the
records (``storage.types.records``, every stored field of each resource with
its type), through the one field mapping (``storage.mongo.fields``: ``_id``,
money in ``*_cents``), plus each resource's keys (``Listing.keys``) and, for
the collections transactions guard, ``txn_guard``. From a field's type they
take its BSON type, whether it may be null, its lower bound, pattern, allowed
values, and a list's least length and distinct items; the other limits of
values are the pydantic types' business.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from storage.money import to_cents
from storage.mongo.documents import GUARD, GUARDED
from storage.mongo.fields import stored
from storage.types.records import RECORDS, Record
from storage.types.shapes import Shape, field_shape, shape_of

_INT = ["int", "long"]


def _least(shape: Shape) -> int | None:
    """The least stored value the field allows (money: in cents)."""
    bound = shape.lower_bound
    if bound is None:
        return None
    value, inclusive = bound
    least = to_cents(Decimal(value)) if shape.bare is Decimal else int(value)
    return least if inclusive else least + 1


def schema_of(shape: Shape) -> dict[str, Any]:
    """The ``$jsonSchema`` of one field of this shape."""
    bare = shape.bare
    schema: dict[str, Any]
    if get_origin(bare) is Literal:
        schema = {"bsonType": "string", "enum": list(get_args(bare))}
    elif get_origin(bare) is list:
        schema = {"bsonType": "array", "items": schema_of(shape_of(get_args(bare)[0]))}
        if shape.min_length is not None:
            schema["minItems"] = shape.min_length
    elif isinstance(bare, type) and issubclass(bare, BaseModel):
        schema = _object({stored(name): _field(f) for name, f in bare.model_fields.items()})
    else:
        schema = {"bsonType": _BSON[bare]}
    least = _least(shape)
    if least is not None:
        schema["minimum"] = least
    if shape.general("pattern"):
        schema["pattern"] = shape.general("pattern")
    schema |= shape.extra  # JSON Schema words Mongo shares (``uniqueItems``)
    if shape.nullable:
        kinds = schema["bsonType"]
        schema["bsonType"] = [*(kinds if isinstance(kinds, list) else [kinds]), "null"]
    return schema


def _field(field: FieldInfo) -> dict[str, Any]:
    return schema_of(field_shape(field))


_BSON: dict[Any, Any] = {
    bool: "bool",
    int: _INT,
    str: "string",
    datetime: "date",
    Decimal: _INT,  # integer cents
    bytes: "binData",
}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    # Every field is required (documents carry explicit nulls) and nothing else is allowed.
    return {
        "bsonType": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


def validator(kind: type[Record]) -> dict[str, Any]:
    """The validator of ``kind``'s collection: its record's fields, its keys, its guard."""
    properties = {stored(name): _field(f) for name, f in kind.model_fields.items()}
    properties |= {key: {"bsonType": "string"} for key in kind.listing.keys.values()}
    if kind.kind() in GUARDED:
        properties[GUARD] = {"bsonType": _INT}
    return {"$jsonSchema": _object(properties)}


VALIDATORS: dict[str, dict[str, Any]] = {kind.kind(): validator(kind) for kind in RECORDS}
"""Validator of each resource collection, by collection name."""
