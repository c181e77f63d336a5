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

import types
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, MinLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from storage.money import to_cents
from storage.mongo.documents import GUARD, GUARDED
from storage.mongo.fields import stored
from storage.types.records import RECORDS, Record

_INT = ["int", "long"]


def _unpack(annotation: Any) -> tuple[Any, list[Any], bool]:
    """The bare type of ``annotation``, the constraints on it, and whether it may be None."""
    constraints: list[Any] = []
    nullable = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            for item in extra:
                constraints += item.metadata if isinstance(item, FieldInfo) else [item]
                if isinstance(item, FieldInfo) and item.json_schema_extra:
                    constraints.append(item.json_schema_extra)
            continue
        if origin in (Union, types.UnionType):
            options = [option for option in get_args(annotation) if option is not type(None)]
            nullable = nullable or len(options) < len(get_args(annotation))
            if len(options) == 1:
                annotation = options[0]
                continue
        return annotation, constraints, nullable


def _least(constraints: list[Any], money: bool) -> int | None:
    """The least stored value the constraints allow (money: in cents)."""

    def stored_value(bound: Any) -> int:
        return to_cents(Decimal(bound)) if money else int(bound)

    for item in constraints:
        if isinstance(item, Ge):
            return stored_value(item.ge)
        if isinstance(item, Gt):
            return stored_value(item.gt) + 1
    return None


def schema_of(annotation: Any, constraints: list[Any] | None = None) -> dict[str, Any]:
    """The ``$jsonSchema`` of one field whose type is ``annotation``."""
    bare, found, nullable = _unpack(annotation)
    found = [*(constraints or []), *found]
    schema: dict[str, Any]
    if get_origin(bare) is Literal:
        schema = {"bsonType": "string", "enum": list(get_args(bare))}
    elif get_origin(bare) is list:
        schema = {"bsonType": "array", "items": schema_of(get_args(bare)[0])}
    elif isinstance(bare, type) and issubclass(bare, BaseModel):
        schema = _object(
            {stored(name): schema_of_field(f) for name, f in bare.model_fields.items()}
        )
    else:
        schema = {"bsonType": _BSON[bare]}
    least = _least(found, money=bare is Decimal)
    if least is not None:
        schema["minimum"] = least
    for item in found:
        if getattr(item, "pattern", None):
            schema["pattern"] = item.pattern
        if isinstance(item, MinLen) and schema["bsonType"] == "array":
            schema["minItems"] = item.min_length
        if isinstance(item, dict):
            schema.update(item)  # JSON Schema words Mongo shares (``uniqueItems``)
    if nullable:
        kinds = schema["bsonType"]
        schema["bsonType"] = [*(kinds if isinstance(kinds, list) else [kinds]), "null"]
    return schema


def schema_of_field(field: FieldInfo) -> dict[str, Any]:
    """The ``$jsonSchema`` of one model field (its annotation and its ``Field`` constraints)."""
    extra = [field.json_schema_extra] if isinstance(field.json_schema_extra, dict) else []
    return schema_of(field.annotation, [*field.metadata, *extra])


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
    properties = {stored(name): schema_of_field(f) for name, f in kind.model_fields.items()}
    properties |= {key: {"bsonType": "string"} for key in kind.listing.keys.values()}
    if kind.kind() in GUARDED:
        properties[GUARD] = {"bsonType": _INT}
    return {"$jsonSchema": _object(properties)}


VALIDATORS: dict[str, dict[str, Any]] = {kind.kind(): validator(kind) for kind in RECORDS}
"""Validator of each resource collection, by collection name."""
