"""``storage.protocol.TransferStore`` on MongoDB: records as documents, ids and versions kept.

A record becomes a document of the collection named after its kind, field by
field, under one rule that the stores already follow: ``id`` is ``_id``, and
money (a ``Decimal`` field) is integer cents under ``<name>_cents``
(``storage.money``); an order's lines, records themselves, follow the same
rule. The key fields are recomputed from the declarations
(``Listing.with_keys``) and a guarded collection's ``txn_guard`` starts at 0.

A batch is one ordered bulk write of upserts by ``_id``: each document is
replaced whole, so running it again (PyMongo's or the runner's retry, a
resumed copy) converges, and an interrupted one leaves a prefix of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pymongo import ASCENDING, DESCENDING, ReplaceOne

from storage.money import from_cents, to_cents
from storage.mongo.documents import COUNTERS, GUARD, Document
from storage.mongo.runner import Runner
from storage.mongo.validators import VALIDATORS
from storage.types.records import Census, Record

GUARDED = frozenset(
    name for name, validator in VALIDATORS.items() if GUARD in validator["$jsonSchema"]["required"]
)
"""Collections whose documents carry a ``txn_guard`` (see ``Runner.guard``)."""


def _is_money(field: FieldInfo) -> bool:
    return Decimal in (field.annotation, *get_args(field.annotation))


def _nested(field: FieldInfo) -> type[BaseModel] | None:
    """The model of a field holding a record or a list of them (an order's lines)."""
    for candidate in (field.annotation, *get_args(field.annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def stored_name(name: str, field: FieldInfo) -> str:
    """The document field that keeps the model field ``name``."""
    if name == "id":
        return "_id"
    return f"{name}_cents" if _is_money(field) else name


def to_document(model: BaseModel) -> Document:
    """``model``'s fields under their stored names, money in cents."""
    return {
        stored_name(name, field): _stored_value(getattr(model, name))
        for name, field in type(model).model_fields.items()
    }


def _stored_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return to_cents(value)
    if isinstance(value, BaseModel):
        return to_document(value)
    if isinstance(value, list):
        return [_stored_value(item) for item in value]
    return value


def from_document(model: type[BaseModel], doc: Document) -> dict[str, Any]:
    """The values of ``model``'s fields read back from a document ``to_document`` wrote."""
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        value = doc[stored_name(name, field)]
        nested = _nested(field)
        if nested is not None and isinstance(value, list):
            value = [from_document(nested, item) for item in value]
        elif nested is not None and value is not None:
            value = from_document(nested, value)
        elif _is_money(field) and value is not None:
            value = from_cents(value)
        values[name] = value
    return values


def _projection(kind: type[Record]) -> Document:
    # Only the record's fields: a post's content key alone can be 60k characters.
    return {stored_name(name, field): 1 for name, field in kind.model_fields.items()}


class MongoTransferStore:
    """``storage.protocol.TransferStore`` on MongoDB."""

    def __init__(self, runner: Runner) -> None:
        self._run = runner
        self._db = runner.db

    async def export[R: Record](self, kind: type[R], after_id: int, limit: int) -> list[R]:
        collection = self._db[kind.kind()]

        async def read() -> list[Document]:
            cursor = collection.find({"_id": {"$gt": after_id}}, _projection(kind))
            return await cursor.sort("_id", ASCENDING).limit(limit).to_list()

        return [kind.model_validate(from_document(kind, doc)) for doc in await self._run.run(read)]

    async def import_[R: Record](self, kind: type[R], records: Sequence[R]) -> None:
        if not records:
            return
        collection = self._db[kind.kind()]
        replacements = [
            ReplaceOne({"_id": record.id}, self._document(record), upsert=True)
            for record in records
        ]
        await self._run.run(lambda: collection.bulk_write(replacements, ordered=True))

    def _document(self, record: Record) -> Document:
        doc = to_document(record)
        listing = record.listing
        keyed = listing.with_keys(record.model_dump(include=set(listing.keys)))
        doc.update({key: keyed[key] for key in listing.keys.values()})
        if record.kind() in GUARDED:
            doc[GUARD] = 0
        return doc

    async def census(self, kind: type[Record]) -> Census:
        name = kind.kind()
        collection = self._db[name]

        async def count() -> tuple[int, Document | None, Document | None]:
            newest = await collection.find_one({}, {"_id": 1}, sort=[("_id", DESCENDING)])
            counter = await self._db[COUNTERS].find_one({"_id": name})
            return await collection.count_documents({}), newest, counter

        total, newest, counter = await self._run.run(count)
        return Census(
            count=total,
            highest_id=0 if newest is None else int(newest["_id"]),
            id_counter=0 if counter is None else int(counter["seq"]),
        )

    async def continue_ids(self, kind: type[Record], after: int) -> None:
        highest = (await self.census(kind)).highest_id
        # $max: the counter only ever moves forward, as every insert expects.
        await self._run.run(
            lambda: self._db[COUNTERS].update_one(
                {"_id": kind.kind()}, {"$max": {"seq": max(after, highest)}}, upsert=True
            )
        )
