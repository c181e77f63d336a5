"""``storage.protocol.TransferStore`` on MongoDB: records as documents, ids and versions kept.

A record becomes a document of the collection named after its kind, field by
field, under the one mapping every Mongo module follows (``storage.mongo.fields``):
``id`` is ``_id``, and money (a ``Decimal`` field) is integer cents under
``<name>_cents``; an order's lines, records themselves, follow the same rule.
The key fields are recomputed from the declarations (``Listing.with_keys``)
and a guarded collection's ``txn_guard`` starts at 0.

A batch is one ordered bulk write of upserts by ``_id``: each document is
replaced whole, so running it again (PyMongo's or the runner's retry, a
resumed copy) converges, and an interrupted one leaves a prefix of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pymongo import ASCENDING, DESCENDING, ReplaceOne

from storage.mongo import fields
from storage.mongo.documents import COUNTERS, GUARD, GUARDED, Document
from storage.mongo.runner import Runner
from storage.types.records import Census, Record

__all__ = ["GUARDED", "MongoTransferStore", "from_document", "stored_name", "to_document"]


def stored_name(name: str, field: FieldInfo | None = None) -> str:
    """The document field that keeps the model field ``name`` (``storage.mongo.fields.stored``)."""
    return fields.stored(name)


def to_document(model: BaseModel) -> Document:
    """``model``'s fields under their stored names, money in cents."""
    return fields.to_document(model)


def from_document(model: type[BaseModel], doc: Document) -> dict[str, Any]:
    """The values of ``model``'s fields read back from a document ``to_document`` wrote."""
    return fields.from_document(model, doc, complete=True)


def _projection(kind: type[Record]) -> Document:
    # Only the record's fields: a post's content key alone can be 60k characters.
    return {fields.stored(name): 1 for name in kind.model_fields}


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
