"""Write the dataset into MongoDB in the documents' stored shape (see ``storage/mongo``)."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import AsyncMongoClient

from bench.dataset import Row, Sizes, categories, posts, products, users
from bench.loaders import Progress, batches
from storage.money import to_cents
from storage.mongo import migrate_mongo
from storage.mongo.categories import name_key


def _user(row: Row) -> Row:
    return {"_id": row.pop("id"), **row}


def _category(row: Row) -> Row:
    return {"_id": row.pop("id"), **row, "name_key": name_key(row["name"])}


def _product(row: Row) -> Row:
    row["price_cents"] = to_cents(row.pop("price"))
    return {"_id": row.pop("id"), **row}


async def load_mongo(url: str, sizes: Sizes, seed: int, progress: Progress) -> None:
    """Load into the migrated, empty database of ``url``, then move the id counters past it."""
    client: AsyncMongoClient[Row] = AsyncMongoClient(url, tz_aware=True)
    db = client.get_default_database()
    try:
        sources: list[tuple[str, Iterable[Row]]] = [
            ("users", map(_user, users(sizes, seed))),
            ("posts", map(_user, posts(sizes, seed))),  # same shape change: id -> _id
            ("categories", map(_category, categories(sizes, seed))),
            ("products", map(_product, products(sizes, seed))),
        ]
        for collection, rows in sources:
            for batch in batches(rows):
                await db[collection].insert_many(batch, ordered=False)
                progress(len(batch))
    finally:
        await client.close()
    await migrate_mongo(url)  # idempotent; raises each counter to the highest _id
