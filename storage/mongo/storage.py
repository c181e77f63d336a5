"""``MongoStorage``: the five Mongo stores behind one ``storage.protocol.Storage``."""

from __future__ import annotations

from storage.mongo.categories import MongoCategoryStore
from storage.mongo.connection import Connection
from storage.mongo.documents import Database
from storage.mongo.errors import translate_errors
from storage.mongo.posts import MongoPostStore
from storage.mongo.products import MongoProductStore
from storage.mongo.tags import MongoTagStore
from storage.mongo.users import MongoUserStore
from storage.protocol import CategoryStore, PostStore, ProductStore, TagStore, UserStore


class MongoStorage:
    """``storage.protocol.Storage`` on MongoDB (or on the mongomock test double).

    Every store method is one atomic operation without a multi-document
    transaction (a standalone server has none); where an operation touches
    several documents, its order of writes is chosen so that stopping half way
    leaves nothing a client could observe as broken (see ``MongoUserStore.delete``).
    """

    backend = "mongo"

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.database: str = connection.database
        self.db: Database = connection.db
        """The PyMongo database, for tests and tooling; the API never touches it."""
        self.users: UserStore = MongoUserStore(self.db)
        self.posts: PostStore = MongoPostStore(self.db)
        self.tags: TagStore = MongoTagStore(self.db)
        self.categories: CategoryStore = MongoCategoryStore(self.db)
        self.products: ProductStore = MongoProductStore(self.db)

    async def ping(self) -> None:
        """Round-trip to the server. Raises ``Unavailable`` if it does not answer."""
        with translate_errors():
            await self.db.command("ping")

    async def close(self) -> None:
        """Close the client's connections."""
        await self._connection.close()
