"""The versioned MongoDB schema: collections, validators, data steps, indexes, counters.

``ensure_schema`` is the one idempotent migration: run it any number of times,
concurrently or not, and the database ends at ``SCHEMA_VERSION``. It

1. creates missing collections with the current validators; when data steps
   are pending, sets existing collections' validators to the current ones at
   ``validationLevel: moderate`` (documents written by an older version are
   not yet valid, and the data steps must be able to update them);
2. runs each data step newer than the recorded version, in order, recording
   the version after each (every step is idempotent, so an interrupted
   migration is simply run again);
3. drops indexes that no declaration asks for any more and creates the
   declared ones (``storage.mongo.queries.indexes``), after the data steps so
   a new unique index sees the backfilled keys;
4. makes validation strict and seeds the id counters.

Raising the version means adding a step to ``DATA_STEPS`` (and changing the
validators); ``check_schema`` makes an out-of-date database refuse to serve.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import IndexModel, UpdateOne
from pymongo.errors import CollectionInvalid, OperationFailure

from storage.errors import NotMigrated
from storage.mongo import standin
from storage.mongo.documents import (
    CATEGORIES,
    COUNTERS,
    GUARD,
    META,
    POSTS,
    PRODUCTS,
    RESOURCES,
    USERS,
    Database,
)
from storage.mongo.errors import translate_errors
from storage.mongo.queries import indexes
from storage.mongo.validators import VALIDATORS
from storage.types import (
    CATEGORIES as CATEGORY_LISTING,
)
from storage.types import DECLARED, Listing, utc_now
from storage.types import (
    POSTS as POST_LISTING,
)
from storage.types import (
    PRODUCTS as PRODUCT_LISTING,
)
from storage.types import (
    USERS as USER_LISTING,
)
from storage.types.text import fold
from storage.types.users import username_from_email

MIGRATE_HINT = "run `python -m api migrate`"
_SCHEMA_ID = "schema"
_BATCH = 1000

INDEXES: dict[str, list[IndexModel]] = {
    # Tags are no collection: they live in the posts' ``tags`` arrays (indexed there).
    listing.resource: indexes(listing)
    for listing in DECLARED
    if listing.resource in RESOURCES
}
"""Indexes of each collection, derived from the declarations (``Listing.indexes``)."""


async def _backfill(db: Database, collection: str, listing: Listing, guard: bool) -> None:
    """Recompute every key field of ``collection`` (and add the guard counter)."""
    last: Any = None
    while True:
        page_filter = {} if last is None else {"_id": {"$gt": last}}
        docs = await db[collection].find(page_filter).sort("_id").limit(_BATCH).to_list()
        if not docs:
            return
        updates = []
        for doc in docs:
            fields = {name: doc[name] for name in listing.keys if name in doc}
            keys = {k: v for k, v in listing.with_keys(fields).items() if k not in fields}
            if guard and GUARD not in doc:
                keys[GUARD] = 0
            if "tags" in doc:  # v1 lower-cased tags; v2 folds them (ß -> ss)
                keys["tags"] = sorted({fold(tag) for tag in doc["tags"]})
            updates.append(UpdateOne({"_id": doc["_id"]}, {"$set": keys}))
        await db[collection].bulk_write(updates, ordered=False)
        last = docs[-1]["_id"]


async def _folded_keys(db: Database) -> None:
    """Version 2: case-folded keys for matching and uniqueness; guards for transactions."""
    await _backfill(db, USERS, USER_LISTING, guard=True)
    await _backfill(db, POSTS, POST_LISTING, guard=False)
    await _backfill(db, CATEGORIES, CATEGORY_LISTING, guard=True)
    await _backfill(db, PRODUCTS, PRODUCT_LISTING, guard=False)


async def _versions_and_soft_delete(db: Database) -> None:
    """Version 3: every record's ``version`` (for ETags); products' ``deleted_at``."""
    for collection in (USERS, POSTS, CATEGORIES, PRODUCTS):
        missing = {"version": {"$exists": False}}
        await db[collection].update_many(missing, {"$set": {"version": 1}})
    await db[PRODUCTS].update_many(
        {"deleted_at": {"$exists": False}}, {"$set": {"deleted_at": None}}
    )


async def _accounts(db: Database) -> None:
    """Version 4: usernames (from the email), unusable passwords, the user role, token versions."""
    taken: set[str] = set()
    updates = []
    async for doc in db[USERS].find({}, {"email": 1, "username": 1}).sort("_id"):
        if "username" in doc:  # an interrupted run of this step already named it
            taken.add(fold(doc["username"]))
            continue
        username = username_from_email(doc["email"], doc["_id"], taken)
        taken.add(fold(username))
        fields = {
            "username": username,
            "username_key": fold(username),
            "role": "user",
            "password_hash": "!",
            "token_version": 0,
        }
        updates.append(UpdateOne({"_id": doc["_id"]}, {"$set": fields}))
        if len(updates) == _BATCH:
            await db[USERS].bulk_write(updates, ordered=False)
            updates = []
    if updates:
        await db[USERS].bulk_write(updates, ordered=False)


async def _pictures(db: Database) -> None:
    """Version 5: every user has the default picture (``picture: null``).

    The ``pictures`` collection, its validator and its indexes come from
    ``ensure_schema`` itself, like any new collection's.
    """
    await db[USERS].update_many({"picture": {"$exists": False}}, {"$set": {"picture": None}})


async def _indexes_from_declarations(db: Database) -> None:
    """Version 6: no data changes; the indexes follow the declarations (``Listing.indexes``).

    Users' ``picture`` index becomes ``picture_id`` and pictures' ``digest``
    becomes ``digest_unique``, like every other look-up and unique key;
    ``ensure_schema`` rebuilds the indexes after the data steps.
    """


DATA_STEPS: dict[int, Callable[[Database], Awaitable[None]]] = {
    2: _folded_keys,
    3: _versions_and_soft_delete,
    4: _accounts,
    5: _pictures,
    6: _indexes_from_declarations,
}
"""Version -> the step that brings the data of the version before it up to it."""
SCHEMA_VERSION = max(DATA_STEPS, default=1)
"""Version recorded in ``meta`` by ``ensure_schema`` and required by ``check_schema``."""


async def ensure_schema(db: Database) -> None:
    """Bring ``db`` to ``SCHEMA_VERSION``; safe to run again (see the module docstring).

    Raises ``NotMigrated`` if the database was migrated by newer code.
    """
    with translate_errors():
        current = await schema_version(db)
        if current is not None and current > SCHEMA_VERSION:
            raise NotMigrated(_newer_message(db, current))
        existing = set(await db.list_collection_names())
        for name in (*RESOURCES, COUNTERS, META):
            if name not in existing:
                await _create_collection(db, name)
        pending = range((current or SCHEMA_VERSION) + 1, SCHEMA_VERSION + 1)
        if pending:
            for name in existing & set(VALIDATORS):
                await _set_validation(db, name, "moderate")
        for version in pending:
            await DATA_STEPS[version](db)
            await _record_version(db, version)
        for name, wanted in INDEXES.items():
            await _ensure_indexes(db, name, wanted)
        for name in VALIDATORS:
            await _set_validation(db, name, "strict")
        await _seed_counters(db)
        await _record_version(db, SCHEMA_VERSION)


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


async def _record_version(db: Database, version: int) -> None:
    await db[META].update_one(
        {"_id": _SCHEMA_ID},
        {"$max": {"version": version}, "$set": {"migrated_at": utc_now()}},
        upsert=True,
    )


def _validation(name: str, level: str) -> dict[str, Any]:
    return {"validator": VALIDATORS[name], "validationLevel": level, "validationAction": "error"}


async def _create_collection(db: Database, name: str) -> None:
    options = _validation(name, "strict") if name in VALIDATORS else {}
    # CollectionInvalid: created meanwhile by a concurrent migration; validation is set below.
    with contextlib.suppress(CollectionInvalid):
        await db.create_collection(name, **options)


async def _set_validation(db: Database, name: str, level: str) -> None:
    """Give ``name`` the current validator at ``level`` (nothing if it already has it).

    ``moderate`` lets the data steps update documents an older version wrote.
    """
    wanted = _validation(name, level)
    listed = await (await db.list_collections(filter={"name": name})).to_list()
    if listed and all(listed[0].get("options", {}).get(k) == v for k, v in wanted.items()):
        return
    try:
        # collMod replaces the validator, so an older one is upgraded in place.
        await db.command({"collMod": name, **wanted})
    except OperationFailure as exc:
        if not standin.lacks_command(exc, "collMod"):
            raise
        await standin.recreate_collection(db, name, wanted if level == "strict" else {})


async def _ensure_indexes(db: Database, name: str, wanted: list[IndexModel]) -> None:
    names = {model.document["name"] for model in wanted}
    for index in (await db[name].index_information()).keys() - names - {"_id_"}:
        await db[name].drop_index(index)  # e.g. v1's unique index on email, now on email_key
    await db[name].create_indexes(wanted)


async def _seed_counters(db: Database) -> None:
    # Creating every counter here means inserts only ever $inc an existing document,
    # never race two upserts. $max also repairs a counter lagging behind imported data.
    for name in RESOURCES:
        last = await db[name].find_one({}, {"_id": 1}, sort=[("_id", -1)])
        highest = 0 if last is None else int(last["_id"])
        await db[COUNTERS].update_one({"_id": name}, {"$max": {"seq": highest}}, upsert=True)
