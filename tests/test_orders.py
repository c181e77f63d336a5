"""Orders: stock taken all or nothing, given back once; the same on every backend.

The concurrency tests run real overlapping requests (the app serves them as
concurrent tasks; the store serves them concurrently): oversell, double
cancel, and orders that share products in opposite orders.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest

from storage.types.catalog import MAX_PRICE
from storage.types.orders import MAX_QUANTITY
from tests.helpers import created, new_user

pytestmark = pytest.mark.anyio


async def product(client: httpx.AsyncClient, name: str = "Lamp", **fields: Any) -> dict[str, Any]:
    return await created(client, "/products", {"name": name, "price": "19.99", **fields})


async def stock(client: httpx.AsyncClient, product_id: int) -> int:
    response = await client.get(f"/products/{product_id}")
    assert response.status_code == 200, response.text
    return int(response.json()["stock"])


def order(user_id: int, *lines: tuple[int, int]) -> dict[str, Any]:
    return {"user_id": user_id, "items": [{"product_id": p, "quantity": q} for p, q in lines]}


async def test_an_order_takes_stock_and_captures_name_and_price(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    lamp = await product(client, "Lamp", price="19.99", stock=5)
    desk = await product(client, "Desk", price="120.50", stock=2)
    placed = await created(client, "/orders", order(user["id"], (lamp["id"], 2), (desk["id"], 1)))

    assert placed["user_id"] == user["id"] and placed["status"] == "placed"
    assert placed["items"] == [
        {"product_id": lamp["id"], "name": "Lamp", "unit_price": 19.99, "quantity": 2,
         "line_total": 39.98},
        {"product_id": desk["id"], "name": "Desk", "unit_price": 120.5, "quantity": 1,
         "line_total": 120.5},
    ]  # fmt: skip
    assert Decimal(str(placed["total"])) == Decimal("160.48")
    assert (await stock(client, lamp["id"]), await stock(client, desk["id"])) == (3, 1)
    assert (await client.get(f"/orders/{placed['id']}")).json() == placed

    # History keeps what was ordered, whatever happens to the product later.
    await client.patch(f"/products/{lamp['id']}", json={"name": "Lamp v2", "price": 25})
    assert (await client.delete(f"/products/{desk['id']}")).status_code == 204
    assert (await client.get(f"/orders/{placed['id']}")).json()["items"] == placed["items"]


async def test_the_largest_amounts_are_stored_whole(client: httpx.AsyncClient) -> None:
    # Three lines of the most units at the highest price: a 15-digit total.
    user = await new_user(client)
    lines = []
    for name in ("Gold", "Platinum", "Rhodium"):
        made = await product(client, name, price=str(MAX_PRICE), stock=MAX_QUANTITY)
        lines.append((made["id"], MAX_QUANTITY))
    placed = await created(client, "/orders", order(user["id"], *lines))
    line_total = MAX_PRICE * MAX_QUANTITY
    assert [Decimal(str(item["line_total"])) for item in placed["items"]] == [line_total] * 3
    assert Decimal(str(placed["total"])) == 3 * line_total
    assert (await client.get(f"/orders/{placed['id']}")).json() == placed


async def test_an_order_is_all_or_nothing(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    plenty = await product(client, "Plenty", stock=10)
    scarce = await product(client, "Scarce", stock=1)
    response = await client.post(
        "/orders", json=order(user["id"], (plenty["id"], 3), (scarce["id"], 2))
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Not enough stock for product {scarce['id']} (Scarce): 1 left, 2 ordered"
    }
    assert (await stock(client, plenty["id"]), await stock(client, scarce["id"])) == (10, 1)
    listing = await client.get(f"/users/{user['id']}/orders")
    assert listing.json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [{"product_id": 1, "quantity": 0}]}, "quantity"),
        ({"items": [{"product_id": 1, "quantity": 1}] * 2}, None),
        ({"items": [{"product_id": i, "quantity": 1} for i in range(1, 102)]}, "items"),
        ({"items": [{"product_id": 1, "quantity": "2"}]}, "quantity"),
    ],
)
async def test_invalid_orders_are_422(
    client: httpx.AsyncClient, body: dict[str, Any], field: str | None
) -> None:
    user = await new_user(client)
    response = await client.post("/orders", json={"user_id": user["id"], **body})
    assert response.status_code == 422, response.text
    if field is None:
        assert "appears twice" in response.json()["detail"][0]["msg"]
    else:
        assert field in response.json()["detail"][0]["loc"]


async def test_unknown_user_or_product_is_404(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    lamp = await product(client, stock=3)
    response = await client.post("/orders", json=order(9999, (lamp["id"], 1)))
    assert (response.status_code, response.json()) == (404, {"detail": "User not found"})
    response = await client.post("/orders", json=order(user["id"], (lamp["id"], 1), (9999, 1)))
    assert (response.status_code, response.json()) == (404, {"detail": "Product 9999 not found"})
    assert (await client.delete(f"/products/{lamp['id']}")).status_code == 204
    response = await client.post("/orders", json=order(user["id"], (lamp["id"], 1)))
    assert response.status_code == 404  # a deleted product cannot be ordered
    assert (await client.get("/orders/9999")).status_code == 404
    assert (await client.get("/users/9999/orders")).status_code == 404
    assert (await client.post("/orders/9999/cancel")).status_code == 404


async def test_cancel_gives_stock_back_exactly_once(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    lamp = await product(client, stock=4)
    placed = await created(client, "/orders", order(user["id"], (lamp["id"], 3)))
    cancelled = await client.post(f"/orders/{placed['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert await stock(client, lamp["id"]) == 4
    again = await client.post(f"/orders/{placed['id']}/cancel")
    assert (again.status_code, again.json()) == (409, {"detail": "Order is already cancelled"})
    assert await stock(client, lamp["id"]) == 4


async def test_a_users_orders_newest_first(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    other = await new_user(client, email="other@example.com")
    lamp = await product(client, stock=10)
    ids = [
        (await created(client, "/orders", order(user["id"], (lamp["id"], 1))))["id"]
        for _ in range(3)
    ]
    await created(client, "/orders", order(other["id"], (lamp["id"], 1)))
    page = (await client.get(f"/users/{user['id']}/orders")).json()
    assert [o["id"] for o in page["items"]] == ids[::-1] and page["total"] == 3
    assert (await client.get(f"/users/{other['id']}/orders")).json()["total"] == 1


async def test_deleting_a_user_keeps_their_orders_as_history(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    lamp = await product(client, stock=2)
    placed = await created(client, "/orders", order(user["id"], (lamp["id"], 1)))
    assert (await client.delete(f"/users/{user['id']}")).status_code == 204
    assert (await client.get(f"/orders/{placed['id']}")).json() == placed
    assert (await client.get(f"/users/{user['id']}/orders")).status_code == 404


async def test_fifty_concurrent_orders_never_oversell(client: httpx.AsyncClient) -> None:
    users = [await new_user(client, email=f"buyer{i}@example.com") for i in range(5)]
    lamp = await product(client, stock=10)
    observed: list[int] = []

    async def watch() -> None:
        for _ in range(20):
            observed.append(await stock(client, lamp["id"]))
            await asyncio.sleep(0)

    bodies = [order(users[i % 5]["id"], (lamp["id"], 1)) for i in range(50)]
    results = await asyncio.gather(*(client.post("/orders", json=b) for b in bodies), watch())
    statuses = Counter(r.status_code for r in results[:-1])
    assert statuses == {201: 10, 409: 40}, [r.text for r in results[:-1] if r.status_code >= 500]
    assert await stock(client, lamp["id"]) == 0
    assert min(observed) >= 0
    placed = [r.json()["id"] for r in results[:-1] if r.status_code == 201]
    assert len(set(placed)) == 10


async def test_two_concurrent_cancels_give_stock_back_once(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    lamp = await product(client, stock=5)
    for _ in range(3):
        placed = await created(client, "/orders", order(user["id"], (lamp["id"], 2)))
        first, second = await asyncio.gather(
            client.post(f"/orders/{placed['id']}/cancel"),
            client.post(f"/orders/{placed['id']}/cancel"),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 409]
        assert await stock(client, lamp["id"]) == 5


async def test_orders_sharing_products_in_opposite_order_all_finish(
    client: httpx.AsyncClient,
) -> None:
    user = await new_user(client)
    a = await product(client, "A", stock=100)
    b = await product(client, "B", stock=100)
    c = await product(client, "C", stock=100)
    forward = order(user["id"], (a["id"], 1), (b["id"], 1), (c["id"], 1))
    backward = order(user["id"], (c["id"], 1), (b["id"], 1), (a["id"], 1))
    results = await asyncio.gather(
        *(client.post("/orders", json=forward if i % 2 else backward) for i in range(20))
    )
    assert [r.status_code for r in results] == [201] * 20, [r.text for r in results]
    for p in (a, b, c):
        assert await stock(client, p["id"]) == 80
    # Lines keep the order the client gave, whatever order the stock was taken in.
    assert [line["name"] for line in results[0].json()["items"]] == ["C", "B", "A"]
