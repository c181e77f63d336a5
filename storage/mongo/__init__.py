"""MongoDB backend: ``storage.protocol.Storage`` on PyMongo's async API.

``open_mongo_storage`` serves requests, ``migrate_mongo`` brings a database's
schema (collections, validators, indexes, counters) up to ``SCHEMA_VERSION``.
``MONGO_URL=mongomock://`` runs on an in-process test double instead of a server.
"""

from __future__ import annotations

from storage.mongo.connection import connect
from storage.mongo.errors import MongoConfigError
from storage.mongo.schema import SCHEMA_VERSION, check_schema, ensure_schema
from storage.mongo.storage import MongoStorage

__all__ = [
    "SCHEMA_VERSION",
    "MongoConfigError",
    "MongoStorage",
    "ensure_schema",
    "migrate_mongo",
    "open_mongo_storage",
]


async def open_mongo_storage(url: str) -> MongoStorage:
    """Connect to ``url`` and check that its schema is current.

    Raises ``Unavailable`` if the server does not answer, ``NotMigrated`` if the
    schema is missing or out of date, ``MongoConfigError`` for an unusable URL.
    On the ``mongomock://`` double the schema is ensured here: its store starts
    empty in memory, so there is nothing a separate migration could have prepared.
    """
    connection = connect(url)
    try:
        await connection.ping()
        if connection.is_double:
            await ensure_schema(connection.db, validators=False)
        else:
            await check_schema(connection.db)
    except BaseException:
        await connection.close()
        raise
    return MongoStorage(connection)


async def migrate_mongo(url: str) -> str:
    """Ensure the schema of the database named by ``url``; idempotent.

    Returns a one-line summary for the operator. Raises like ``open_mongo_storage``.
    """
    connection = connect(url)
    try:
        await connection.ping()
        # The double refuses validators (NotImplementedError); a real server gets them.
        await ensure_schema(connection.db, validators=not connection.is_double)
    finally:
        await connection.close()
    where = f"database {connection.db.name!r}"
    if connection.is_double:
        where += ", in-memory mongomock: nothing persists"
    return f"MongoDB schema at version {SCHEMA_VERSION} ({where})"
