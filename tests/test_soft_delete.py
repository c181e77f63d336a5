"""Deleting a product hides it and keeps it for history; it can be restored."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import created, items

pytestmark = pytest.mark.anyio


async def test_a_deleted_product_is_hidden_and_can_be_restored(client: httpx.AsyncClient) -> None:
    kept = await created(client, "/products", {"name": "Kept", "price": 1})
    gone = await created(client, "/products", {"name": "Gone", "price": 2})
    assert (await client.delete(f"/products/{gone['id']}")).status_code == 204

    assert (await client.get(f"/products/{gone['id']}")).status_code == 404
    assert (await client.patch(f"/products/{gone['id']}", json={"stock": 1})).status_code == 404
    assert (await client.delete(f"/products/{gone['id']}")).status_code == 404
    assert await items(client, "/products") == [kept["id"]]
    assert await items(client, "/products", deleted="only") == [gone["id"]]
    assert await items(client, "/products", deleted="include") == [kept["id"], gone["id"]]
    deleted = (await client.get("/products", params={"deleted": "only"})).json()["items"][0]
    assert deleted["deleted_at"] is not None

    restored = await client.post(f"/products/{gone['id']}/restore")
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None and restored.json()["name"] == "Gone"
    assert await items(client, "/products") == [kept["id"], gone["id"]]


async def test_restore_answers_404_and_409(client: httpx.AsyncClient) -> None:
    live = await created(client, "/products", {"name": "Live", "price": 1})
    response = await client.post(f"/products/{live['id']}/restore")
    assert response.status_code == 409
    assert "not deleted" in response.json()["detail"]
    assert (await client.post("/products/9999/restore")).status_code == 404


async def test_a_category_whose_products_are_all_deleted_can_be_deleted(
    client: httpx.AsyncClient,
) -> None:
    books = await created(client, "/categories", {"name": "Books"})
    novel = await created(
        client, "/products", {"name": "Novel", "price": 9, "category_id": books["id"]}
    )
    assert (await client.delete(f"/categories/{books['id']}")).status_code == 409
    assert (await client.delete(f"/products/{novel['id']}")).status_code == 204
    assert (await client.delete(f"/categories/{books['id']}")).status_code == 204
    # The deleted product lost its category with it, and comes back without one.
    restored = (await client.post(f"/products/{novel['id']}/restore")).json()
    assert restored["category"] is None
