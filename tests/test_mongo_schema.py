"""MongoDB-specific behaviour of ``storage.mongo``, over the wire to the test run's server.

What every backend must do alike is the HTTP contract suite's business; these
tests pin what only the Mongo backend has: the schema step, counter ids, integer
cents, escaped regexes, full documents, transactions required, the embedded
stand-in, and how it reports an unusable server. Each test gets a database of
its own on the server of ``mongo_server`` (the stand-in, or TEST_MONGO_URL).
"""

from __future__ import annotations

import gc
import io
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import AutoReconnect, DuplicateKeyError, OperationFailure

from api.pictures.processing import process_blocking
from bench.databases import mongo_database
from storage.errors import Conflict, NotMigrated, StorageError, Unavailable
from storage.money import from_cents, to_cents
from storage.mongo import (
    SCHEMA_VERSION,
    MongoConfigError,
    MongoStorage,
    ensure_schema,
    migrate_mongo,
    open_mongo_storage,
)
from storage.mongo import connection as mongo_connection
from storage.mongo.documents import Database, next_id
from storage.mongo.errors import translate_errors
from storage.mongo.schema import check_schema
from storage.mongo.validators import VALIDATORS
from storage.timeouts import Timeouts
from storage.types import USERS as USER_LISTING
from storage.types import (
    CategoryCreate,
    NewUser,
    OrderCreate,
    OrderItem,
    PostCreate,
    ProductCreate,
    ProductQuery,
    ProductUpdate,
    UserQuery,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # PyMongo's async API runs on asyncio only


@pytest.fixture
def url(mongo_server: str) -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards."""
    with mongo_database(mongo_server) as fresh:
        yield fresh


@pytest.fixture
async def store(url: str) -> AsyncIterator[MongoStorage]:
    await migrate_mongo(url)
    storage = await open_mongo_storage(url)
    yield storage
    await storage.close()


@pytest.fixture
async def bare_db(url: str) -> AsyncIterator[Database]:
    """A database that no schema step has touched."""
    connection = mongo_connection.connect(url)
    yield connection.db
    await connection.close()


def _user(name: str = "Alice", email: str = "alice@example.com") -> NewUser:
    username = email.partition("@")[0]
    return NewUser(
        username=username, name=name, email=email, age=30, city="Unknown", password_hash="!"
    )


async def _unique_indexes(db: Database, collection: str) -> dict[str, list[Any]]:
    info = await db[collection].index_information()
    # _id_ is unique by nature; the stand-in also flags it so, MongoDB does not.
    return {
        name: list(spec["key"])
        for name, spec in info.items()
        if spec.get("unique") and name != "_id_"
    }


async def test_ensure_schema_is_idempotent_and_creates_unique_indexes(bare_db: Database) -> None:
    await ensure_schema(bare_db)
    first = {name: await bare_db[name].index_information() for name in ("users", "categories")}
    await ensure_schema(bare_db)

    assert {name: await bare_db[name].index_information() for name in first} == first
    assert await _unique_indexes(bare_db, "users") == {
        "email_key_unique": [("email_key", 1)],
        "username_key_unique": [("username_key", 1)],
    }
    assert await _unique_indexes(bare_db, "categories") == {"name_key_unique": [("name_key", 1)]}
    assert set(await bare_db.list_collection_names()) >= {
        "users",
        "posts",
        "categories",
        "products",
        "counters",
        "meta",
    }
    counters = await bare_db["counters"].find().sort("_id").to_list()
    assert counters == [
        {"_id": name, "seq": 0}
        for name in ("categories", "orders", "pictures", "posts", "products", "users")
    ]
    await check_schema(bare_db)  # current: does not raise


async def test_check_schema_asks_for_migration(bare_db: Database) -> None:
    with pytest.raises(NotMigrated, match="python -m api migrate"):
        await check_schema(bare_db)
    await ensure_schema(bare_db)
    await bare_db["meta"].update_one({"_id": "schema"}, {"$set": {"version": 0}})
    with pytest.raises(NotMigrated, match=f"needs {SCHEMA_VERSION}"):
        await check_schema(bare_db)


async def test_counter_seeding_catches_up_with_existing_documents(bare_db: Database) -> None:
    # A user written before the schema step (e.g. restored from a dump), in full.
    user = _user().model_dump()
    doc = {
        "_id": 41,
        **USER_LISTING.with_keys(user),
        "token_version": 0,
        "picture": None,
        "txn_guard": 0,
        "version": 1,
    }
    await bare_db["users"].insert_one(doc)
    await bare_db["users"].update_one({"_id": 41}, {"$currentDate": {"created_at": True}})
    await bare_db["users"].update_one({"_id": 41}, {"$currentDate": {"updated_at": True}})
    await ensure_schema(bare_db)
    assert await next_id(bare_db, "users") == 42


async def test_counters_give_1_2_3(store: MongoStorage) -> None:
    assert [await next_id(store.db, "posts") for _ in range(3)] == [1, 2, 3]
    users = [await store.users.create(_user(email=f"u{i}@example.com")) for i in range(3)]
    assert [user.id for user in users] == [1, 2, 3]
    assert await store.db["users"].find_one({"_id": 2}) is not None


async def test_email_uniqueness_ignores_case(store: MongoStorage) -> None:
    await store.users.create(_user(email="Alice@Example.com"))
    with pytest.raises(Conflict, match="Email already registered"):
        await store.users.create(_user(email="ALICE@example.COM"))


async def test_category_name_key_keeps_case_but_is_unique_without_it(store: MongoStorage) -> None:
    books = await store.categories.create(CategoryCreate(name="Books"))
    assert books.name == "Books"
    assert (await store.db["categories"].find_one({"_id": books.id}) or {})["name_key"] == "books"
    with pytest.raises(Conflict, match="Category name already taken"):
        await store.categories.create(CategoryCreate(name="BOOKS"))
    strasse = await store.categories.create(CategoryCreate(name="Straße"))
    assert strasse.name == "Straße"
    with pytest.raises(Conflict, match="Category name already taken"):
        await store.categories.create(CategoryCreate(name="STRASSE"))


async def test_price_is_stored_as_exact_integer_cents(store: MongoStorage) -> None:
    product = await store.products.create(ProductCreate(name="Novel", price=Decimal("19.99")))

    stored = await store.db["products"].find_one({"_id": product.id})
    assert stored is not None
    assert stored["price_cents"] == 1999
    assert type(stored["price_cents"]) is int
    assert "price" not in stored
    assert str(product.price) == "19.99"
    assert str((await store.products.get(product.id)).price) == "19.99"
    updated = await store.products.update(product.id, ProductUpdate(price=Decimal("5")))
    assert str(updated.price) == "5.00"


def test_money_conversions_are_exact() -> None:
    assert to_cents(Decimal("19.99")) == 1999
    assert to_cents(Decimal("9999999999.99")) == 999999999999
    assert str(from_cents(1999)) == "19.99"
    assert str(from_cents(100)) == "1.00"
    with pytest.raises(ValueError, match="two decimals"):
        to_cents(Decimal("0.001"))


async def test_price_filters_match_exact_decimal_comparison(store: MongoStorage) -> None:
    for name, price in [("cheap", "19.99"), ("dear", "20.00")]:
        await store.products.create(ProductCreate(name=name, price=Decimal(price)))

    async def names(**filters: Any) -> list[str]:
        page = await store.products.list(ProductQuery(**filters))
        return [p.name for p in page.items]

    assert await names(min_price=Decimal("19.991")) == ["dear"]
    assert await names(min_price=Decimal("19.99")) == ["cheap", "dear"]
    assert await names(max_price=Decimal("19.999")) == ["cheap"]
    assert await names(max_price=Decimal("19.989")) == []
    assert await names(min_price=Decimal("19.9900000000000000000000000000001")) == ["dear"]


@pytest.mark.parametrize("text", [".*", "a.c", "(", "[", "\\", "$gt", "^A", "a+"])
async def test_regex_metacharacters_are_literal(store: MongoStorage, text: str) -> None:
    literal = await store.users.create(_user(name=f"x{text}x", email="lit@example.com"))
    await store.users.create(_user(name="abc Alice", email="other@example.com"))

    page = await store.users.list(UserQuery(name=text))

    assert [user.id for user in page.items] == [literal.id]


def _bson_type(value: Any) -> str:
    if value is None:
        return "null"
    types = {
        bool: "bool",
        int: "int",
        str: "string",
        datetime: "date",
        list: "array",
        dict: "object",
        bytes: "binData",
    }
    if type(value) is int and not -(2**31) <= value < 2**31:
        return "long"
    return types[type(value)]


async def test_documents_carry_every_field_their_validator_requires(store: MongoStorage) -> None:
    # What we write, checked against the validators' shape (MongoDB enforces them too).
    author = await store.users.create(_user())
    await store.posts.create(
        PostCreate(title="Hello world", content="x" * 20, author_id=author.id, tags=["A", "b"])
    )
    await store.categories.create(CategoryCreate(name="Books"))
    loose = await store.products.create(ProductCreate(name="Loose", price=Decimal("1.50"), stock=2))
    await store.products.delete(loose.id)
    await store.products.restore(loose.id)
    items = [OrderItem(product_id=loose.id, quantity=1)]
    await store.orders.place(OrderCreate(user_id=author.id, items=items))
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "teal").save(out, "PNG")
    await store.pictures.set(author.id, process_blocking(out.getvalue()))

    for collection, validator in VALIDATORS.items():
        schema = validator["$jsonSchema"]
        docs = await store.db[collection].find().to_list()
        assert docs, collection
        for doc in docs:
            assert sorted(doc) == sorted(schema["required"]), collection
            for field, value in doc.items():
                allowed = schema["properties"][field]["bsonType"]
                allowed = allowed if isinstance(allowed, list) else [allowed]
                assert _bson_type(value) in allowed, (collection, field, value)


@pytest.mark.parametrize(
    ("driver_error", "neutral", "message"),
    [
        (
            DuplicateKeyError(
                "E11000",
                11000,
                {
                    "errmsg": "E11000 duplicate key error collection: app.users "
                    "index: email_key_unique dup key: { email_key: 1 }",
                    "keyPattern": {"email_key": 1},
                },
            ),
            Conflict,
            "Email already registered",
        ),
        (AutoReconnect("connection reset"), Unavailable, "Database unavailable: connection reset"),
        (OperationFailure("auth failed", 18), Unavailable, "Database unavailable: auth failed"),
        (OperationFailure("Document failed validation", 121), StorageError, "Unexpected"),
    ],
)
def test_driver_errors_become_neutral_errors(
    driver_error: Exception, neutral: type[StorageError], message: str
) -> None:
    with (
        pytest.raises(neutral, match=message) as raised,
        translate_errors(),
    ):
        raise driver_error
    assert type(raised.value) is neutral
    assert raised.value.__cause__ is driver_error


# PyMongo's monitor can be cancelled by client.close() in the middle of a connect
# attempt, and then drops that socket without closing it (a ResourceWarning at
# garbage collection, harmless; upstream PYTHON-3923). Collect it here, where the
# warning is ignored, rather than let it fail whichever test runs next.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_unreachable_server_is_unavailable_with_a_clear_message() -> None:
    # Port 1 on the loopback interface: refused at once, no server needed.
    url = "mongodb://someone:secret@127.0.0.1:1/app"
    quick = Timeouts(operation=0.5, connect=0.1, pool=0.1, statement=0.1)
    with pytest.raises(Unavailable, match=r"Cannot reach MongoDB at 127\.0\.0\.1:1") as raised:
        await open_mongo_storage(url, quick)
    assert "secret" not in raised.value.message
    with pytest.raises(Unavailable):
        await migrate_mongo(url, quick)
    # The dropped socket is reachable from the exception's traceback: let go of
    # it first, or it outlives this collection and warns in a later test.
    del raised
    gc.collect()


@pytest.mark.parametrize("url", ["postgresql://localhost/app", "mongodb://", "mongodb://a:b:c@/x"])
async def test_unusable_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(MongoConfigError, match="MONGO_URL"):
        await open_mongo_storage(url)


async def test_a_server_without_transactions_stops_the_service_with_the_fix(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a standalone mongod answers to a transaction's first write.
    refused = OperationFailure(
        "Transaction numbers are only allowed on a replica set member or mongos", 20
    )
    original = AsyncCollection.update_one

    async def standalone(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("session") is not None:
            raise refused
        return await original(self, *args, **kwargs)

    await migrate_mongo(url)
    monkeypatch.setattr(AsyncCollection, "update_one", standalone)
    with pytest.raises(MongoConfigError, match=r"replica set.*rs\.initiate\(\)") as raised:
        await open_mongo_storage(url)
    assert raised.value.__cause__ is not None


async def test_embedded_memory_url_starts_empty_each_time() -> None:
    first = await open_mongo_storage("mongoeco://")
    try:
        assert first.database == "mongoeco"
        await first.users.create(_user())
        assert (await first.users.list(UserQuery())).total == 1
    finally:
        await first.close()
    second = await open_mongo_storage("mongoeco://")
    try:
        assert (await second.users.list(UserQuery())).total == 0
    finally:
        await second.close()


async def test_embedded_file_url_keeps_data_across_restarts(tmp_path: Path) -> None:
    url = f"mongoeco:///{tmp_path / 'app-mongo.db'}"
    assert "embedded mongoeco" in await migrate_mongo(url)
    first = await open_mongo_storage(url)
    try:
        created = await first.users.create(_user())
    finally:
        await first.close()
    second = await open_mongo_storage(url)
    try:
        assert await second.users.get(created.id) == created
    finally:
        await second.close()
