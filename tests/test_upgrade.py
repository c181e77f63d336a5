"""Populated databases of older versions migrate, on every backend, without loss.

Two starting points: the previous release (the version the newest migration
starts from: ``PREVIOUS_SQL_REVISION``, ``PREVIOUS_MONGO_SCHEMA``, kept so by
a test), and the oldest this code still upgrades (below).

The oldest (SQL revision 0002, Mongo schema 1) lower-cased emails
and category keys with each store's own rules, had no search keys, and (on
Mongo) no transaction guards. Its data is written here in its own shape, the
database is migrated, and the service must then answer as if the data had
been written by this version (every user with the default picture, and able
to set one): every row kept (SQLite rebuilds tables with
foreign keys off, so a rebuilt ``users`` does not cascade into ``posts``),
keys backfilled, tags folded and merged, ids continuing.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from asgi_lifespan import LifespanManager
from PIL import Image
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.passwords import Passwords
from api.main import create_app
from bench.databases import mongo_database, sql_database
from storage.factory import migrate_storage
from storage.messages import EMAIL_TAKEN
from storage.mongo.documents import GUARD, GUARDED
from storage.mongo.fields import to_document
from storage.mongo.schema import DATA_STEPS, ensure_schema
from storage.sql.migrate import alembic_config, migration_engine, upgrade_to_head
from storage.sql.tables import Base
from storage.types import CATEGORIES as CATEGORY_LISTING
from storage.types import POSTS as POST_LISTING
from storage.types import PRODUCTS as PRODUCT_LISTING
from storage.types import USERS as USER_LISTING
from storage.types.text import fold
from tests.accounts import PASSWORD, admin_token, create_admin, sign_up_body, token_for
from tests.conftest import ENABLED, BackendCase, http_client, settings_for
from tests.helpers import items
from tests.test_indexes import ENGINE, expected, mongo_indexes, sql_indexes

NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
USERS = [
    (1, "Ada Straße", "straße@example.com", "Köln"),
    (2, "Grace", "grace@example.com", "İzmir"),
]
POSTS = [(1, 1, "Notes on the engine", ["straße", "math"]), (2, 2, "On compilers", ["strasse"])]


@contextmanager
def empty_database(case: BackendCase, tmp_path: Path, mongo_server: str) -> Iterator[str]:
    if case.id == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    elif case.backend == "sql":
        with sql_database(os.environ[case.env or ""]) as url:
            yield url
    else:
        with mongo_database(mongo_server) as url:
            yield url


async def write_sql_revision_0002(url: str) -> None:
    engine = migration_engine(url)
    try:
        await upgrade_to_head(engine, target="0002")
        sqlite = engine.dialect.name == "sqlite"
        # How SQLAlchemy's DateTime stores naive UTC on SQLite and MariaDB.
        naive = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
        stamp: Any = NOW if engine.dialect.name == "postgresql" else naive
        async with engine.begin() as conn:
            for user_id, name, email, city in USERS:
                await conn.execute(
                    text(
                        "INSERT INTO users (id, name, email, age, city, is_active, created_at, "
                        "updated_at) VALUES (:id, :name, :email, 30, :city, true, :at, :at)"
                    ),
                    {"id": user_id, "name": name, "email": email, "city": city, "at": stamp},
                )
            tag_ids: dict[str, int] = {}
            for post_id, author, title, tags in POSTS:
                await conn.execute(
                    text(
                        "INSERT INTO posts (id, title, content, published, author_id, created_at, "
                        "updated_at) VALUES (:id, :title, :content, false, :author, :at, :at)"
                    ),
                    {
                        "id": post_id,
                        "title": title,
                        "content": "Twenty characters and more.",
                        "author": author,
                        "at": stamp,
                    },
                )
                for tag in tags:
                    if tag not in tag_ids:
                        tag_ids[tag] = len(tag_ids) + 1
                        await conn.execute(
                            text("INSERT INTO tags (id, name) VALUES (:id, :name)"),
                            {"id": tag_ids[tag], "name": tag},
                        )
                    await conn.execute(
                        text("INSERT INTO post_tags (post_id, tag_id) VALUES (:post, :tag)"),
                        {"post": post_id, "tag": tag_ids[tag]},
                    )
            await conn.execute(
                text(
                    "INSERT INTO categories (id, name, name_key, description, created_at, "
                    "updated_at) VALUES (1, 'Straße', 'straße', NULL, :at, :at)"
                ),
                {"at": stamp},
            )
            price = 1250 if sqlite else "12.50"
            await conn.execute(
                text(
                    "INSERT INTO products (id, name, price, stock, category_id, created_at, "
                    "updated_at) VALUES (1, 'Map of Köln', :price, 3, 1, :at, :at)"
                ),
                {"price": price, "at": stamp},
            )
            await continue_sequences(conn)
    finally:
        await engine.dispose()


async def continue_sequences(conn: AsyncConnection) -> None:
    """Move PostgreSQL's id sequences past the rows written with explicit ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("users", "posts", "tags", "categories", "products"):
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )


def v1_validator(**properties: Any) -> dict[str, Any]:
    fields = {"_id": {"bsonType": ["int", "long"]}, **properties}
    fields |= {"created_at": {"bsonType": "date"}, "updated_at": {"bsonType": "date"}}
    return {
        "$jsonSchema": {
            "bsonType": "object",
            "required": list(fields),
            "additionalProperties": False,
            "properties": fields,
        }
    }


async def write_mongo_schema_1(url: str) -> None:
    from storage.mongo.connection import connect

    s, n, b = ({"bsonType": t} for t in ("string", "int", "bool"))
    connection = connect(url)
    db = connection.db
    try:
        validators = {
            "users": v1_validator(name=s, email=s, age=n, city=s, is_active=b),
            "posts": v1_validator(
                title=s, content=s, published=b, tags={"bsonType": "array"}, author_id=n
            ),
            "categories": v1_validator(
                name=s, name_key=s, description={"bsonType": ["string", "null"]}
            ),
            "products": v1_validator(
                name=s, price_cents=n, stock=n, category_id={"bsonType": ["int", "null"]}
            ),
        }
        for name, validator in validators.items():
            await db.create_collection(name, validator=validator)
        await db["users"].create_index("email", unique=True, name="email_unique")
        stamp = {"created_at": NOW, "updated_at": NOW}
        for user_id, name, email, city in USERS:
            user = {"name": name, "email": email, "age": 30, "city": city, "is_active": True}
            await db["users"].insert_one({"_id": user_id, **user, **stamp})
        for post_id, author, title, tags in POSTS:
            post = {"title": title, "content": "Twenty characters and more.", "published": False}
            await db["posts"].insert_one(
                {"_id": post_id, **post, "tags": tags, "author_id": author, **stamp}
            )
        category = {"name": "Straße", "name_key": "straße", "description": None}
        await db["categories"].insert_one({"_id": 1, **category, **stamp})
        product = {"name": "Map of Köln", "price_cents": 1250, "stock": 3, "category_id": 1}
        await db["products"].insert_one({"_id": 1, **product, **stamp})
        for name, seq in (("users", 2), ("posts", 2), ("categories", 1), ("products", 1)):
            await db["counters"].insert_one({"_id": name, "seq": seq})
        await db["meta"].insert_one({"_id": "schema", "version": 1, "migrated_at": NOW})
    finally:
        await connection.close()


async def check_migrated(client: httpx.AsyncClient) -> None:
    """What the migrated data must look like through the API."""
    # Accounts from before usernames: named after their email, unable to log in.
    assert [(await client.get(f"/users/{i}")).json()["username"] for i in (1, 2)] == [
        "straße",
        "grace",
    ]
    login = {"username": "grace@example.com", "password": "any password at all"}
    assert (await client.post("/auth/token", data=login)).status_code == 401
    assert await items(client, "/users", key="name", name="STRASSE") == ["Ada Straße"]
    assert await items(client, "/users", key="city", city="KÖLN") == ["Köln"]
    assert len(await items(client, "/posts")) == 2  # no post lost to a table rebuild
    tags = (await client.get("/tags")).json()["items"]
    assert tags == [{"name": "math", "post_count": 1}, {"name": "strasse", "post_count": 2}]
    assert await items(client, "/posts", tag="Straße") == [1, 2]
    assert await items(client, "/posts", q="ENGINE") == [1]
    assert await items(client, "/products", q="köln") == [1]
    taken = await client.post(
        "/users", json=sign_up_body("STRASSE@example.com", username="twin", name="Twin")
    )
    assert taken.status_code == 409
    assert (await client.post("/categories", json={"name": "STRASSE"})).status_code == 409
    new = await client.post("/users", json=sign_up_body("new@example.com", name="New"))
    # Ids continue after the migrated ones (a refused insert may have used one up).
    assert new.status_code == 201 and new.json()["id"] > 2
    # Everyone has the default picture, and may set one.
    assert (await client.get("/users/2")).json()["image_url"] == "/pictures/default/256"
    picture = io.BytesIO()
    Image.new("RGB", (30, 20), "purple").save(picture, "PNG")
    files = {"picture": ("me.png", picture.getvalue(), "image/png")}
    uploaded = await client.put("/users/2/picture", files=files)
    assert uploaded.status_code == 200, uploaded.text
    assert (await client.get(uploaded.json()["image_url"])).status_code == 200
    assert (await client.delete("/categories/1")).status_code == 409  # the product still uses it
    assert (await client.delete("/users/1")).status_code == 204
    assert await items(client, "/posts") == [2]  # cascade still works after the rebuild


# The previous release: the schema the newest migration starts from. When a
# migration is added, these become the versions before it (and the writers
# below write that version's shape); test_the_previous_release_is_the_one_before_head
# fails until they do, so "upgrades from the previous version" stays true.
PREVIOUS_SQL_REVISION = "0007"
PREVIOUS_MONGO_SCHEMA = 5
PASSWORD_HASH = Passwords(memory_kib=8, time_cost=1).hash_blocking(PASSWORD)


def test_the_previous_release_is_the_one_before_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_revision(scripts.get_current_head())
    assert head is not None and head.down_revision == PREVIOUS_SQL_REVISION
    assert max(DATA_STEPS) - 1 == PREVIOUS_MONGO_SCHEMA


def previous_release_rows() -> dict[str, list[dict[str, Any]]]:
    """One of everything, as the previous release stored it (keys folded by this code's rule)."""
    stamp = {"created_at": NOW, "updated_at": NOW, "version": 1}
    users = [
        {
            "id": user_id,
            "username": username,
            "name": name,
            "email": email,
            "age": 30,
            "city": city,
            "is_active": True,
            "role": "user",
            "password_hash": PASSWORD_HASH,
            "token_version": 0,
            "picture": None,
            **stamp,
        }
        for (user_id, name, email, city), username in zip(USERS, ("ada", "grace"), strict=True)
    ]
    posts = [
        {
            "id": post_id,
            "title": title,
            "content": "Twenty characters and more.",
            "published": True,
            "author_id": author,
            "tags": sorted({fold(tag) for tag in tags}),  # stored folded since schema 2
            **stamp,
        }
        for post_id, author, title, tags in POSTS
    ]
    category = {"id": 1, "name": "Straße", "description": None, **stamp}
    product = {
        "id": 1,
        "name": "Map of Köln",
        "price": Decimal("12.50"),
        "stock": 3,
        "category_id": 1,
        "deleted_at": None,
        **stamp,
    }
    return {"users": users, "posts": posts, "categories": [category], "products": [product]}


async def write_sql_previous_release(url: str) -> None:
    from storage.sql.tables import post_tags, tags_table

    engine = migration_engine(url)
    try:
        await upgrade_to_head(engine, target=PREVIOUS_SQL_REVISION)
        rows = previous_release_rows()
        listings = {"users": USER_LISTING, "posts": POST_LISTING, "categories": CATEGORY_LISTING}
        listings["products"] = PRODUCT_LISTING
        async with engine.begin() as conn:
            for table, found in rows.items():
                keyed = [
                    listings[table].with_keys({k: v for k, v in row.items() if k != "tags"})
                    for row in found
                ]
                await conn.execute(insert(Base.metadata.tables[table]), keyed)
            names = sorted({tag for post in rows["posts"] for tag in post["tags"]})
            await conn.execute(insert(tags_table), [{"name": name} for name in names])
            ids = {name: number for number, name in enumerate(names, start=1)}
            links = [
                {"post_id": post["id"], "tag_id": ids[tag]}
                for post in rows["posts"]
                for tag in post["tags"]
            ]
            await conn.execute(insert(post_tags), links)
            await continue_sequences(conn)
    finally:
        await engine.dispose()


async def write_mongo_previous_release(url: str) -> None:
    from storage.mongo.connection import connect

    connection = connect(url)
    db = connection.db
    try:
        await ensure_schema(db)
        # Schema 5's index names: one look-up and one unique key were named otherwise.
        await db["users"].drop_index("picture_id")
        await db["users"].create_index("picture", name="picture")
        await db["pictures"].drop_index("digest_unique")
        await db["pictures"].create_index("digest", unique=True, name="digest")
        listings = {"users": USER_LISTING, "posts": POST_LISTING, "categories": CATEGORY_LISTING}
        listings["products"] = PRODUCT_LISTING
        for collection, found in previous_release_rows().items():
            for row in found:
                doc = to_document(listings[collection].with_keys(row))
                if collection in GUARDED:
                    doc[GUARD] = 0
                await db[collection].insert_one(doc)
        await db["counters"].delete_many({})
        await db["meta"].update_one({"_id": "schema"}, {"$set": {"version": PREVIOUS_MONGO_SCHEMA}})
    finally:
        await connection.close()


async def check_previous_release_migrated(client: httpx.AsyncClient) -> None:
    """The previous release's data, served by this one: logins, filters, keys, conflicts, ids."""
    token = await token_for(client, "grace", PASSWORD)
    assert token
    assert await items(client, "/users", key="name", name="STRASSE") == ["Ada Straße"]
    assert await items(client, "/users", key="city", city="ZMIR") == ["İzmir"]
    assert await items(client, "/posts", tag="Straße") == [1, 2]
    assert await items(client, "/products", q="köln") == [1]
    taken = await client.post("/users", json=sign_up_body("STRASSE@example.com", username="twin"))
    assert (taken.status_code, taken.json()) == (409, {"detail": EMAIL_TAKEN})
    new = await client.post("/users", json=sign_up_body("new@example.com", name="New"))
    assert new.status_code == 201 and new.json()["id"] > 2
    picture = io.BytesIO()
    Image.new("RGB", (30, 20), "teal").save(picture, "PNG")
    files = {"picture": ("me.png", picture.getvalue(), "image/png")}
    assert (await client.put("/users/2/picture", files=files)).status_code == 200
    assert (await client.delete("/users/2/picture")).status_code == 200


@dataclass(frozen=True)
class Start:
    """A version to upgrade from: how to write its data, and what must hold after."""

    name: str
    write_sql: Callable[[str], Awaitable[None]]
    write_mongo: Callable[[str], Awaitable[None]]
    check: Callable[[httpx.AsyncClient], Awaitable[None]]


STARTS = [
    Start("oldest", write_sql_revision_0002, write_mongo_schema_1, check_migrated),
    Start(
        "previous",
        write_sql_previous_release,
        write_mongo_previous_release,
        check_previous_release_migrated,
    ),
]


async def migrate_and_check(start: Start, case: BackendCase, url: str) -> None:
    write = start.write_sql if case.backend == "sql" else start.write_mongo
    await write(url)
    for _ in range(2):  # the second run finds nothing to do
        await migrate_storage(case.backend, database_url=url, mongo_url=url)  # type: ignore[arg-type]
    app = create_app(settings_for(case, url))
    async with LifespanManager(app):
        await create_admin(app)  # as an operator would with `python -m api create-admin`
        async with http_client(app, await admin_token(app)) as client:
            await start.check(client)


@pytest.mark.parametrize("start", STARTS, ids=[start.name for start in STARTS])
@pytest.mark.parametrize("case", ENABLED, ids=[case.id for case in ENABLED])
def test_an_older_version_with_data_migrates_and_serves(
    start: Start, case: BackendCase, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("mongo_server") if case.backend == "mongo" else ""
    with empty_database(case, tmp_path, server) as url:
        asyncio.run(migrate_and_check(start, case, url))
        # Its indexes are now exactly this version's.
        if case.backend == "sql":
            found, references = sql_indexes(url)
        else:
            found, references = asyncio.run(mongo_indexes(url)), set()
        wanted = expected(ENGINE[case.id])
        assert (wanted - found, found - wanted - references) == (set(), set())
