"""Records carry every stored field: a field a store keeps is a record field or derived.

If a column or a document field is added to a resource (say a user's
``password_hash``) without its line in ``storage.types.records``, a copy
would silently leave it behind; these tests fail instead. Derived fields
are the declared keys (``Listing.keys``) and Mongo's ``txn_guard``.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bench.records import RecordSizes, records
from storage.mongo.documents import GUARD
from storage.mongo.fields import MONEY, from_document, is_money, stored, to_document
from storage.mongo.transfer import GUARDED, stored_name
from storage.mongo.validators import VALIDATORS
from storage.sql.tables import Base, order_lines
from storage.sql.transfer import layout
from storage.types import Order, OrderLine, Product
from storage.types.records import RECORDS, OrderLineRecord, OrderRecord, Record

KINDS = pytest.mark.parametrize("kind", RECORDS, ids=[kind.kind() for kind in RECORDS])


def _derived(kind: type[Record]) -> set[str]:
    return set(kind.listing.keys.values())


@KINDS
def test_sql_columns_are_record_fields_or_keys(kind: type[Record]) -> None:
    table = Base.metadata.tables[kind.kind()]
    shape = layout(kind)  # raises for a record field SQL keeps nowhere
    assert set(shape.columns) == set(table.c.keys()) - _derived(kind)
    assert set(shape.columns) | set(shape.lists) == set(kind.model_fields)


def test_sql_order_lines_are_line_record_fields() -> None:
    positional = {"order_id", "line_no"}  # the order a line belongs to, and its place in it
    assert set(order_lines.c.keys()) - positional == set(OrderLineRecord.model_fields)


@KINDS
def test_mongo_documents_hold_record_fields_keys_and_guards_only(kind: type[Record]) -> None:
    validated = set(VALIDATORS[kind.kind()]["$jsonSchema"]["properties"])
    stored = {stored_name(name, field) for name, field in kind.model_fields.items()}
    guard = {GUARD} if kind.kind() in GUARDED else set()
    assert validated == stored | _derived(kind) | guard


def test_mongo_order_lines_are_line_record_fields() -> None:
    lines = VALIDATORS["orders"]["$jsonSchema"]["properties"]["lines"]["items"]["properties"]
    fields = OrderLineRecord.model_fields
    assert set(lines) == {stored_name(name, field) for name, field in fields.items()}
    assert "lines" in OrderRecord.model_fields


def test_money_is_declared_by_the_records_and_kept_in_cents_by_one_rule() -> None:
    assert {"price", "unit_price", "line_total", "total"} == MONEY
    assert {stored(name) for name in MONEY} == {f"{name}_cents" for name in MONEY}
    # What the stores return holds money under the same names: one rule reads both.
    for model in (Product, Order, OrderLine):
        money = {name for name, field in model.model_fields.items() if is_money(field)}
        assert money and money <= MONEY, model


@KINDS
def test_a_record_goes_into_a_document_and_back_unchanged(kind: type[Record]) -> None:
    sizes = RecordSizes(users=3, posts=3, categories=3, products=3, orders=3, pictures=3)
    record = next(iter(dict(records(sizes))[kind]))
    doc = to_document(record)
    assert kind.model_validate(from_document(kind, doc, complete=True)) == record
    assert all(not isinstance(value, Decimal) for value in doc.values())


@KINDS
def test_the_checksummed_form_holds_every_field(kind: type[Record]) -> None:
    sizes = RecordSizes(users=3, posts=3, categories=3, products=3, orders=3, pictures=3)
    found = dict(records(sizes))[kind]
    record = next(iter(found))
    assert set(json.loads(record.canonical())) == set(kind.model_fields)


def test_the_validators_say_what_the_record_types_say() -> None:
    def field(collection: str, name: str) -> dict[str, object]:
        properties: dict[str, dict[str, object]] = VALIDATORS[collection]["$jsonSchema"][
            "properties"
        ]
        return properties[name]

    assert field("products", "price_cents") == {"bsonType": ["int", "long"], "minimum": 1}
    assert field("products", "stock") == {"bsonType": ["int", "long"], "minimum": 0}
    assert field("products", "category_id") == {
        "bsonType": ["int", "long", "null"],
        "minimum": 1,
    }
    assert field("products", "deleted_at") == {"bsonType": ["date", "null"]}
    assert field("posts", "tags") == {
        "bsonType": "array",
        "items": {"bsonType": "string"},
        "uniqueItems": True,
    }
    assert field("users", "role") == {"bsonType": "string", "enum": ["user", "admin"]}
    assert field("users", "picture")["bsonType"] == ["string", "null"]
    assert field("users", "picture")["pattern"] == "^[0-9a-f]{64}$"
    lines = field("orders", "lines")
    assert lines["minItems"] == 1
    assert lines["items"]["required"] == [  # type: ignore[index]
        "product_id",
        "name",
        "unit_price_cents",
        "quantity",
        "line_total_cents",
    ]
    assert VALIDATORS["users"]["$jsonSchema"]["additionalProperties"] is False
