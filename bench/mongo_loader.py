"""Write the dataset into MongoDB in the documents' stored shape (see ``storage/mongo``)."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import AsyncMongoClient

from bench.accounts import with_password
from bench.dataset import Row, Sizes, categories, posts, products, users
from bench.loaders import Progress, batches, keyed
from storage.money import to_cents
from storage.mongo import migrate_mongo
from storage.mongo.documents import GUARD
from storage.types import CATEGORIES, POSTS, PRODUCTS, USERS


def _document(row: Row) -> Row:
    return {"_id": row.pop("id"), **row}


def _guarded(row: Row) -> Row:
    return {**_document(row), GUARD: 0}


def _user(row: Row) -> Row:
    return {**_guarded(row), "picture": None}


def _product(row: Row) -> Row:
    row["price_cents"] = to_cents(row.pop("price"))
    return _document(row)


async def load_mongo(url: str, sizes: Sizes, seed: int, progress: Progress) -> None:
    """Load into the migrated, empty database of ``url``, then move the id counters past it."""
    client: AsyncMongoClient[Row] = AsyncMongoClient(url, tz_aware=True)
    db = client.get_default_database()
    try:
        sources: list[tuple[str, Iterable[Row]]] = [
            ("users", map(_user, with_password(keyed(USERS, users(sizes, seed))))),
            ("posts", map(_document, keyed(POSTS, posts(sizes, seed)))),
            ("categories", map(_guarded, keyed(CATEGORIES, categories(sizes, seed)))),
            ("products", map(_product, keyed(PRODUCTS, products(sizes, seed)))),
        ]
        for collection, rows in sources:
            for batch in batches(rows):
                await db[collection].insert_many(batch, ordered=False)
                progress(len(batch))
    finally:
        await client.close()
    await migrate_mongo(url)  # idempotent; raises each counter to the highest _id
