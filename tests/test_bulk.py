"""Bulk inserts: 1-1000 records, stored all or none, every conflict named."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.helpers import created, new_user

pytestmark = pytest.mark.anyio


def users(count: int, start: int = 0) -> list[dict[str, object]]:
    return [
        {
            "username": f"user{i}",
            "name": f"User {i}",
            "email": f"user{i}@example.com",
            "age": 20 + i % 50,
        }
        for i in range(start, start + count)
    ]


async def total(client: httpx.AsyncClient, path: str) -> int:
    return int((await client.get(path)).json()["total"])


async def test_bulk_users_are_created_in_order(client: httpx.AsyncClient) -> None:
    response = await client.post("/users/bulk", json=users(250))
    assert response.status_code == 201, response.text
    made = response.json()
    assert [u["email"] for u in made] == [f"user{i}@example.com" for i in range(250)]
    assert len({u["id"] for u in made}) == 250
    assert [u["id"] for u in made] == sorted(u["id"] for u in made)
    assert (await client.get(f"/users/{made[42]['id']}")).json() == made[42]
    assert await total(client, "/users") == 251  # and the admin


async def test_every_conflicting_email_is_named_and_nothing_is_stored(
    client: httpx.AsyncClient,
) -> None:
    await new_user(client, email="taken@example.com")
    batch = users(5)
    batch[1]["email"] = "TAKEN@example.com"  # already registered
    batch[4]["email"] = "USER0@example.com"  # repeats item 0
    response = await client.post("/users/bulk", json=batch)
    assert response.status_code == 409
    body = response.json()
    assert body["errors"] == [
        {"index": 1, "email": "taken@example.com"},
        {"index": 4, "email": "user0@example.com"},
    ]
    assert "taken@example.com" in body["detail"] and "user0@example.com" in body["detail"]
    assert await total(client, "/users") == 2  # the admin and the one taken


async def test_every_invalid_item_is_named_by_index(client: httpx.AsyncClient) -> None:
    batch = users(4)
    batch[0]["age"] = -1
    batch[3]["email"] = "not an email"
    response = await client.post("/users/bulk", json=batch)
    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["detail"]]
    assert ["body", 0, "age"] in locations and ["body", 3, "email"] in locations
    assert await total(client, "/users") == 1  # the admin


@pytest.mark.parametrize("count", [0, 1001])
async def test_batch_size_is_1_to_1000(client: httpx.AsyncClient, count: int) -> None:
    response = await client.post("/users/bulk", json=users(count))
    assert response.status_code == 422


async def test_concurrent_batches_with_one_shared_email_store_one(
    client: httpx.AsyncClient,
) -> None:
    batches = [users(20, start=100 * i) for i in range(4)]
    for batch in batches:
        batch[7]["email"] = "shared@example.com"  # and a username of its own in each
    responses = await asyncio.gather(*(client.post("/users/bulk", json=b) for b in batches))
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert await total(client, "/users") == 21  # and the admin
    listing = (await client.get("/users", params={"name": "User", "limit": 100})).json()
    assert sum(u["email"] == "shared@example.com" for u in listing["items"]) == 1


async def test_bulk_products_all_or_none(client: httpx.AsyncClient) -> None:
    books = await created(client, "/categories", {"name": "Books"})
    batch = [
        {"name": f"Item {i}", "price": "1.50", "stock": i, "category_id": books["id"]}
        for i in range(10)
    ]
    made = await client.post("/products/bulk", json=batch)
    assert made.status_code == 201
    assert [p["category"]["name"] for p in made.json()] == ["Books"] * 10
    batch[3]["category_id"] = 999
    refused = await client.post("/products/bulk", json=batch)
    assert refused.status_code == 404
    assert refused.json()["errors"] == [{"index": 3, "category_id": 999}]
    assert await total(client, "/products") == 10
