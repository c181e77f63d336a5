"""How a field is kept in a MongoDB document: the one mapping every Mongo module uses.

- ``id`` is ``_id``;
- money is integer cents under ``<name>_cents`` (``storage.money``): cents
  sort, compare and ``$inc`` exactly, which no BSON double does;
- any other field is kept under its own name, as it is.

Which fields are money is declared once, by their type in the records
(``storage.types.records``: a ``Decimal`` field is money), and read here
(``MONEY``). Queries and indexes (``storage.mongo.queries``), validators, the
stores' documents and their ``to_*`` mappers, and copies
(``storage.mongo.transfer``) all go through ``stored``, ``to_document`` and
``from_document``, so a money field added to a record is kept in cents
everywhere without another line.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from storage.money import from_cents, to_cents
from storage.types.records import RECORDS

Document = dict[str, Any]


def is_money(field: FieldInfo) -> bool:
    """Whether a model field holds money (its type is ``Decimal``, or ``Decimal | None``)."""
    return Decimal in (field.annotation, *get_args(field.annotation))


def nested_model(field: FieldInfo) -> type[BaseModel] | None:
    """The model of a field holding a model or a list of them (an order's lines)."""
    for candidate in (field.annotation, *get_args(field.annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _money_of(models: tuple[type[BaseModel], ...]) -> frozenset[str]:
    found: set[str] = set()
    for model in models:
        for name, field in model.model_fields.items():
            nested = nested_model(field)
            if nested is not None:
                found |= _money_of((nested,))
            elif is_money(field):
                found.add(name)
    return frozenset(found)


MONEY = _money_of(RECORDS)
"""Names of the money fields of every record (``price``, an order's ``total``, ...)."""


def stored(field: str) -> str:
    """The document field that keeps the declared field ``field``."""
    if field == "id":
        return "_id"
    return f"{field}_cents" if field in MONEY else field


def to_stored(field: str, value: Any) -> Any:
    """``value`` of ``field`` as a document keeps it (money in cents; None stays None)."""
    if field in MONEY and value is not None:
        return to_cents(value)
    return value


def to_document(values: Mapping[str, Any] | BaseModel) -> Document:
    """``values`` (a model's fields, or declared names -> values) under their stored names."""
    if isinstance(values, BaseModel):
        values = {name: getattr(values, name) for name in type(values).model_fields}
    return {stored(name): _stored_value(name, value) for name, value in values.items()}


def _stored_value(field: str, value: Any) -> Any:
    if isinstance(value, (BaseModel, Mapping)):
        return to_document(value)
    if isinstance(value, list):
        return [_stored_value(field, item) for item in value]
    return to_stored(field, value)


@cache
def _reading(model: type[BaseModel]) -> tuple[tuple[str, str, type[BaseModel] | None, bool], ...]:
    """Per field of ``model``: its name, its document field, its nested model, whether money."""
    return tuple(
        (name, stored(name), nested_model(field), name in MONEY)
        for name, field in model.model_fields.items()
    )


def from_document(
    model: type[BaseModel], doc: Document, *, complete: bool = False
) -> dict[str, Any]:
    """The values of ``model``'s fields that ``doc`` holds, read back as declared.

    Fields the document does not hold (a product's embedded category, a user's
    ``image_url``) are left out for the caller to add, unless ``complete``:
    then a missing one is a ``KeyError`` (a copy must carry every field).
    """
    values: dict[str, Any] = {}
    for name, key, nested, money in _reading(model):
        if key not in doc:
            if complete:
                raise KeyError(key)
            continue
        value = doc[key]
        if nested is not None and isinstance(value, list):
            value = [from_document(nested, item, complete=complete) for item in value]
        elif nested is not None and value is not None:
            value = from_document(nested, value, complete=complete)
        elif money and value is not None:
            value = from_cents(value)
        values[name] = value
    return values
