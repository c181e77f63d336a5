"""MongoDB backend: ``storage.protocol.Storage`` on PyMongo's async API.

``open_mongo_storage`` serves requests, ``migrate_mongo`` brings a database's
schema (collections, validators, indexes, counters, data) up to
``SCHEMA_VERSION``. ``MONGO_URL=mongoeco://`` serves from an embedded
MongoDB-wire stand-in (``storage.mongo.standin``), for development.
"""

from __future__ import annotations

from storage.mongo.connection import Connection, connect
from storage.mongo.errors import MongoConfigError
from storage.mongo.runner import Runner
from storage.mongo.schema import SCHEMA_VERSION, check_schema, ensure_schema
from storage.mongo.storage import MongoStorage
from storage.timeouts import Timeouts

__all__ = [
    "SCHEMA_VERSION",
    "MongoConfigError",
    "MongoStorage",
    "ensure_schema",
    "migrate_mongo",
    "open_mongo_storage",
]


async def open_mongo_storage(url: str, timeouts: Timeouts | None = None) -> MongoStorage:
    """Connect to ``url``, check that its schema is current and that it runs transactions.

    ``timeouts`` bound every operation (``storage.timeouts``; its defaults if None).

    Raises ``Unavailable`` if the server does not answer, ``NotMigrated`` if the
    schema is missing or out of date, ``MongoConfigError`` for an unusable URL or
    a server without multi-document transactions (a standalone ``mongod``).
    An embedded stand-in's schema is ensured here: for ``mongoeco://`` it starts
    empty in memory, so nothing could have migrated it beforehand.
    """
    timeouts = timeouts or Timeouts()
    connection = connect(url, timeouts)
    try:
        await connection.ping()
        if connection.embedded is not None:
            await ensure_schema(connection.db)
        else:
            await check_schema(connection.db)
        await Runner(connection.client, connection.db, timeouts).check_transactions()
    except BaseException:
        await connection.close()
        raise
    return MongoStorage(connection, timeouts)


async def migrate_mongo(url: str, timeouts: Timeouts | None = None) -> str:
    """Ensure the schema of the database named by ``url``; idempotent.

    Returns a one-line summary for the operator. Raises like ``open_mongo_storage``.
    Without ``timeouts`` only finding the server is bounded: a long step runs to its end.
    """
    connection: Connection = connect(url, timeouts)
    try:
        await connection.ping()
        await ensure_schema(connection.db)
    finally:
        await connection.close()
    where = f"database {connection.db.name!r}"
    if connection.embedded is not None:
        where += f", {connection.where}"
    elif connection.is_standin:
        where += ", on the mongoeco stand-in"
    return f"MongoDB schema at version {SCHEMA_VERSION} ({where})"
