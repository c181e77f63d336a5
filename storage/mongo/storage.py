"""``MongoStorage``: the five Mongo stores behind one ``storage.protocol.Storage``."""

from __future__ import annotations

from storage.instrumentation import PoolUsage, ReplicaStatus
from storage.mongo.categories import MongoCategoryStore
from storage.mongo.connection import Connection
from storage.mongo.credentials import MongoCredentialStore
from storage.mongo.documents import Database
from storage.mongo.orders import MongoOrderStore
from storage.mongo.pictures import MongoPictureStore
from storage.mongo.posts import MongoPostStore
from storage.mongo.products import MongoProductStore
from storage.mongo.runner import Runner
from storage.mongo.tags import MongoTagStore
from storage.mongo.transfer import MongoTransferStore
from storage.mongo.users import MongoUserStore
from storage.protocol import (
    CategoryStore,
    CredentialStore,
    OrderStore,
    PictureStore,
    PostStore,
    ProductStore,
    TagStore,
    TransferStore,
    UserStore,
)
from storage.timeouts import Timeouts


class MongoStorage:
    """``storage.protocol.Storage`` on MongoDB (or on the mongoeco stand-in).

    Every store method goes through one ``Runner``: rules that span documents
    run in multi-document transactions, transient failures are retried.
    """

    backend = "mongo"

    def __init__(self, connection: Connection, timeouts: Timeouts | None = None) -> None:
        self._connection = connection
        self.database: str = connection.database
        self.db: Database = connection.db
        """The PyMongo database, for tests and tooling; the API never touches it."""
        self.runner = Runner(
            connection.client, connection.db, timeouts, standin_server=connection.is_standin
        )
        self.read_lag_bound: float | None = self.runner.lag_bound
        """Set when ``readPreference`` lets reads go to secondaries (``storage.mongo.causal``)."""
        self.users: UserStore = MongoUserStore(self.runner)
        self.posts: PostStore = MongoPostStore(self.runner)
        self.tags: TagStore = MongoTagStore(self.runner)
        self.categories: CategoryStore = MongoCategoryStore(self.runner)
        self.products: ProductStore = MongoProductStore(self.runner)
        self.orders: OrderStore = MongoOrderStore(self.runner)
        self.credentials: CredentialStore = MongoCredentialStore(self.runner)
        self.transfer: TransferStore = MongoTransferStore(self.runner)
        self.pictures: PictureStore = MongoPictureStore(self.runner)

    async def ping(self) -> None:
        """Round-trip to the server. Raises ``Unavailable`` if it does not answer."""
        await self.runner.run(lambda: self.db.command("ping"))

    def pool_usage(self) -> list[PoolUsage]:
        """The client's connections, from PyMongo's pool events."""
        pools = self._connection.pools
        return [] if pools is None else [pools.counter.usage()]

    def replicas(self) -> list[ReplicaStatus]:
        """Secondaries are PyMongo's to choose and watch; none are listed here."""
        return []

    async def close(self) -> None:
        """Close the client's connections (and stop an embedded stand-in)."""
        await self._connection.close()
