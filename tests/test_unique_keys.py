"""One map of unique keys to messages, and one answer for a key it does not know.

Every unique key is declared once (``Listing.unique``) with what a client
reads when a write collides with it; both backends translate their driver's
duplicate-key error through that map (``storage.types.unique_conflict``). A
unique index no declaration names (one an operator added, say) is the same
409 with the same generic message on every backend, whatever the write:
plain or in a transaction, one record or a batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from storage.messages import CATEGORY_NAME_TAKEN, CONFLICT, EMAIL_TAKEN, USERNAME_TAKEN
from storage.mongo.errors import duplicate_conflict
from storage.types import UNIQUE_KEYS, unique_conflict
from tests.accounts import sign_up_body
from tests.helpers import created

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def undeclared_unique(app: FastAPI, table: str, column: str) -> AsyncIterator[None]:
    """A unique index on ``table.column`` that no declaration knows, for the test's length."""
    storage = app.state.storage
    if storage.backend == "sql":
        async with storage.engine.begin() as conn:
            await conn.execute(text(f"CREATE UNIQUE INDEX undeclared ON {table} ({column})"))
    else:
        await storage.db[table].create_index(column, unique=True, name="undeclared")
    try:
        yield
    finally:
        if storage.backend == "sql":
            on = f" ON {table}" if storage.engine.dialect.name == "mysql" else ""
            async with storage.engine.begin() as conn:
                await conn.execute(text(f"DROP INDEX undeclared{on}"))
        else:
            await storage.db[table].drop_index("undeclared")


def assert_generic_conflict(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": CONFLICT}


async def test_an_undeclared_unique_key_is_the_same_409_on_every_backend(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    category = await created(client, "/categories", {"name": "Lamps"})
    product = await created(client, "/products", {"name": "Desk lamp", "price": 9, "stock": 4})
    async with undeclared_unique(app, "products", "stock"):
        await created(client, "/products", {"name": "Floor lamp", "price": 9, "stock": 3})
        clash = {"name": "Wall lamp", "price": 9, "stock": 3}
        assert_generic_conflict(await client.post("/products", json=clash))
        filed = {**clash, "category_id": category["id"]}  # a transaction on MongoDB
        assert_generic_conflict(await client.post("/products", json=filed))
        assert_generic_conflict(await client.post("/products/bulk", json=[clash]))
        path = f"/products/{product['id']}"
        assert_generic_conflict(await client.patch(path, json={"stock": 3}))
        etag = {"If-Match": (await client.get(path)).headers["etag"]}
        assert_generic_conflict(await client.patch(path, json={"stock": 3}, headers=etag))
    async with undeclared_unique(app, "users", "age"):
        await created(client, "/users", sign_up_body("ada@example.com", age=30))
        # Not a login's key: no "Email already registered"/"Username already taken".
        taken = sign_up_body("grace@example.com", age=30)
        assert_generic_conflict(await client.post("/users", json=taken))
        grace = await created(client, "/users", sign_up_body("grace@example.com", age=31))
        assert_generic_conflict(await client.patch(f"/users/{grace['id']}", json={"age": 30}))
    async with undeclared_unique(app, "categories", "description"):
        await created(client, "/categories", {"name": "Desks", "description": "Wood"})
        same = {"name": "Chairs", "description": "Wood"}
        assert_generic_conflict(await client.post("/categories", json=same))


async def test_declared_keys_keep_their_messages_beside_an_undeclared_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await created(client, "/users", sign_up_body("ada@example.com"))
    await created(client, "/categories", {"name": "Lamps"})
    async with undeclared_unique(app, "users", "age"):
        again = sign_up_body("ADA@example.com", username="other", age=55)
        response = await client.post("/users", json=again)
        assert (response.status_code, response.json()) == (409, {"detail": EMAIL_TAKEN})
        renamed = sign_up_body("new@example.com", username="ada", age=56)
        response = await client.post("/users", json=renamed)
        assert (response.status_code, response.json()) == (409, {"detail": USERNAME_TAKEN})
    response = await client.post("/categories", json={"name": "LAMPS"})
    assert (response.status_code, response.json()) == (409, {"detail": CATEGORY_NAME_TAKEN})


def test_the_map_names_each_declared_key_and_nothing_else() -> None:
    assert UNIQUE_KEYS[("users", "email_key")] == EMAIL_TAKEN
    for (resource, field), message in UNIQUE_KEYS.items():
        conflict = unique_conflict(resource, field)
        assert (conflict.key, conflict.message) == (f"{resource}.{field}", message or CONFLICT)
    for resource, field in (("users", "age"), ("nowhere", "email_key"), (None, None)):
        conflict = unique_conflict(resource, field)
        assert (conflict.key, conflict.message) == (None, CONFLICT)


@pytest.mark.parametrize(
    ("errmsg", "key_pattern", "key"),
    [
        (
            "E11000 duplicate key error collection: app.users index: email_key_unique dup key: "
            '{ email_key: "a@b.c" }',
            {"email_key": 1},
            "users.email_key",
        ),
        (
            "Plan executor error during findAndModify :: caused by :: E11000 duplicate key error "
            'collection: test_1.categories index: name_key_unique dup key: { name_key: "x" }',
            {"name_key": 1},
            "categories.name_key",
        ),
        # products.name_key is a key of products, but not a unique one.
        (
            "E11000 duplicate key error collection: app.products index: x dup key: { }",
            {"name_key": 1},
            None,
        ),
        ("E11000 duplicate key error", {}, None),
    ],
)
def test_mongo_names_the_key_from_the_collection_and_the_key_pattern(
    errmsg: str, key_pattern: dict[str, int], key: str | None
) -> None:
    conflict = duplicate_conflict({"errmsg": errmsg, "keyPattern": key_pattern, "code": 11000})
    assert conflict.key == key
