"""The versioned MongoDB schema: collections, validators, indexes and counters.

``ensure_schema`` is the one idempotent migration step: run it any number of
times, concurrently or not, and the database ends at ``SCHEMA_VERSION``.
Raising the version means changing what it ensures and bumping the constant;
``check_schema`` makes an out-of-date database refuse to serve.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.errors import CollectionInvalid

from storage.errors import NotMigrated
from storage.mongo.documents import (
    CATEGORIES,
    COUNTERS,
    META,
    POSTS,
    PRODUCTS,
    RESOURCES,
    USERS,
    Database,
)
from storage.mongo.errors import translate_errors
from storage.mongo.validators import VALIDATORS
from storage.types import utc_now

SCHEMA_VERSION = 1
"""Version recorded in ``meta`` by ``ensure_schema`` and required by ``check_schema``."""

MIGRATE_HINT = "run `python -m api migrate`"
_SCHEMA_ID = "schema"


def _by(field: str) -> IndexModel:
    # (field, _id) serves the filter on the field and its sort with the id tie-break.
    return IndexModel([(field, ASCENDING), ("_id", ASCENDING)], name=f"{field}_id")


INDEXES: dict[str, list[IndexModel]] = {
    USERS: [
        # Emails are stored lower-case, so a plain unique index is case-insensitive.
        IndexModel("email", unique=True, name="email_unique"),
        _by("name"),
        _by("age"),
        _by("created_at"),
    ],
    POSTS: [
        _by("author_id"),
        IndexModel("tags", name="tags"),  # multikey: one entry per tag of a post
        _by("published"),
        _by("title"),
        _by("created_at"),
    ],
    CATEGORIES: [
        # name_key = name.lower(): case-insensitive uniqueness that needs no collation
        # (which the test double would silently ignore).
        IndexModel("name_key", unique=True, name="name_key_unique"),
        _by("name"),
    ],
    PRODUCTS: [
        _by("category_id"),
        _by("price_cents"),
        _by("stock"),
        _by("name"),
    ],
}
"""Indexes of each collection, by collection name."""


async def ensure_schema(db: Database, *, validators: bool) -> None:
    """Create what is missing and record ``SCHEMA_VERSION``; safe to run again.

    ``validators=False`` only for the in-process test double, which raises
    ``NotImplementedError`` on ``create_collection(validator=...)`` and ``collMod``.
    Raises ``NotMigrated`` if the database was migrated by newer code.
    """
    with translate_errors():
        current = await schema_version(db)
        if current is not None and current > SCHEMA_VERSION:
            raise NotMigrated(_newer_message(db, current))
        existing = set(await db.list_collection_names())
        for name in (*RESOURCES, COUNTERS, META):
            validator = VALIDATORS.get(name) if validators else None
            await _ensure_collection(db, name, existing, validator)
        for name, indexes in INDEXES.items():
            await db[name].create_indexes(indexes)
        await _seed_counters(db)
        await db[META].update_one(
            {"_id": _SCHEMA_ID},
            {"$set": {"version": SCHEMA_VERSION, "migrated_at": utc_now()}},
            upsert=True,
        )


async def schema_version(db: Database) -> int | None:
    """The version recorded by the last migration, or None if never migrated."""
    with translate_errors():
        doc = await db[META].find_one({"_id": _SCHEMA_ID})
    return None if doc is None else int(doc["version"])


async def check_schema(db: Database) -> None:
    """Raise ``NotMigrated`` with an actionable message unless the schema is current."""
    current = await schema_version(db)
    if current == SCHEMA_VERSION:
        return
    if current is None:
        raise NotMigrated(f"MongoDB database {db.name!r} has no schema yet; {MIGRATE_HINT}")
    if current > SCHEMA_VERSION:
        raise NotMigrated(_newer_message(db, current))
    raise NotMigrated(
        f"MongoDB database {db.name!r} is at schema version {current}, "
        f"this code needs {SCHEMA_VERSION}; {MIGRATE_HINT}"
    )


def _newer_message(db: Database, current: int) -> str:
    return (
        f"MongoDB database {db.name!r} is at schema version {current}, newer than this "
        f"code's {SCHEMA_VERSION}; deploy the newer application instead"
    )


async def _ensure_collection(
    db: Database, name: str, existing: set[str], validator: dict[str, Any] | None
) -> None:
    options: dict[str, Any] = {}
    if validator is not None:
        options = {"validator": validator, "validationLevel": "strict", "validationAction": "error"}
    if name not in existing:
        try:
            await db.create_collection(name, **options)
            return
        except CollectionInvalid:
            pass  # created meanwhile by a concurrent migration: fall through to collMod
    if options:
        # collMod replaces the validator, so an older one is upgraded in place.
        await db.command({"collMod": name, **options})


async def _seed_counters(db: Database) -> None:
    # Creating every counter here means inserts only ever $inc an existing document,
    # never race two upserts. $max also repairs a counter lagging behind imported data.
    for name in RESOURCES:
        last = await db[name].find_one({}, {"_id": 1}, sort=[("_id", -1)])
        highest = 0 if last is None else int(last["_id"])
        await db[COUNTERS].update_one({"_id": name}, {"$max": {"seq": highest}}, upsert=True)
