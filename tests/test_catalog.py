"""Categories and products: the HTTP contract, identical on every backend."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import created, items

pytestmark = pytest.mark.anyio


async def new_category(client: httpx.AsyncClient, name: str = "Books", **fields: object) -> dict:
    return await created(client, "/categories", {"name": name, **fields})


async def new_product(client: httpx.AsyncClient, **fields: object) -> dict:
    return await created(client, "/products", {"name": "Widget", "price": 9.99, **fields})


async def test_category_names_are_unique_in_any_case(client: httpx.AsyncClient) -> None:
    books = await new_category(client, "Books", description="Paper")
    assert books["name"] == "Books" and books["description"] == "Paper"
    response = await client.post("/categories", json={"name": "BOOKS"})
    assert response.status_code == 409
    assert response.json() == {"detail": "Category name already taken"}
    games = await new_category(client, "Games")
    rename = await client.patch(f"/categories/{games['id']}", json={"name": "books"})
    assert rename.status_code == 409
    recase = await client.patch(f"/categories/{books['id']}", json={"name": "BOOKS"})
    assert recase.status_code == 200 and recase.json()["name"] == "BOOKS"
    cleared = await client.patch(f"/categories/{books['id']}", json={"description": None})
    assert cleared.json()["description"] is None


async def test_category_crud_and_404(client: httpx.AsyncClient) -> None:
    category = await new_category(client)
    assert (await client.get(f"/categories/{category['id']}")).json() == category
    assert await items(client, "/categories", "name") == ["Books"]
    assert (await client.delete(f"/categories/{category['id']}")).status_code == 204
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"/categories/{category['id']}")
        assert response.status_code == 404
        assert response.json() == {"detail": "Category not found"}


async def test_category_with_products_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    category = await new_category(client)
    product = await new_product(client, category_id=category["id"])
    response = await client.delete(f"/categories/{category['id']}")
    assert response.status_code == 409
    assert "still has products" in response.json()["detail"]
    assert (await client.get(f"/categories/{category['id']}")).status_code == 200
    assert (await client.delete(f"/products/{product['id']}")).status_code == 204
    assert (await client.delete(f"/categories/{category['id']}")).status_code == 204


async def test_product_embeds_category_and_keeps_exact_price(client: httpx.AsyncClient) -> None:
    category = await new_category(client)
    product = await new_product(client, price="19.99", stock=3, category_id=category["id"])
    assert product["price"] == 19.99
    assert product["category"] == category
    plain = await new_product(client, name="Loose", price=0.1)
    assert plain["category"] is None and plain["stock"] == 0 and plain["price"] == 0.1
    assert (await client.get(f"/products/{product['id']}")).json() == product


async def test_product_for_unknown_category_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/products", json={"name": "W", "price": 1, "category_id": 77})
    assert response.status_code == 404
    assert response.json() == {"detail": "Category not found"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", 0),
        ("price", -1),
        ("price", 1.234),
        ("price", "NaN"),
        ("price", "1e30"),
        ("stock", -1),
        ("name", ""),
        ("category_id", -5),
    ],
)
async def test_invalid_product_is_422(client: httpx.AsyncClient, field: str, value: object) -> None:
    response = await client.post("/products", json={"name": "W", "price": 1, field: value})
    assert response.status_code == 422, response.text


async def test_product_filters_and_sort(client: httpx.AsyncClient) -> None:
    tools = await new_category(client, "Tools")
    toys = await new_category(client, "Toys")
    specs = [
        ("Hammer", "12.50", 5, tools),
        ("Saw", "30.00", 0, tools),
        ("Yo-yo", "3.99", 100, toys),
        ("Toy hammer", "10.01", 2, toys),
        ("Mystery", "10.00", 1, None),
    ]
    for name, price, stock, category in specs:
        await new_product(
            client,
            name=name,
            price=price,
            stock=stock,
            category_id=category["id"] if category else None,
        )

    assert await items(client, "/products", "name", category_id=tools["id"]) == ["Hammer", "Saw"]
    assert await items(client, "/products", "name", min_price="10", max_price="12.5") == [
        "Hammer",
        "Toy hammer",
        "Mystery",
    ]
    # Bounds between cents: 10.005 keeps 10.01 and above, exactly like a decimal compare.
    assert await items(client, "/products", "name", min_price="10.005", max_price="10.019") == [
        "Toy hammer"
    ]
    assert await items(client, "/products", "name", in_stock="false") == ["Saw"]
    assert await items(
        client, "/products", "name", in_stock="true", max_price="20", sort="-price"
    ) == ["Hammer", "Toy hammer", "Mystery", "Yo-yo"]
    assert await items(client, "/products", "name", q="HAMMER", sort="price") == [
        "Toy hammer",
        "Hammer",
    ]
    prices = await items(client, "/products", "price", sort="price")
    assert prices == [3.99, 10.0, 10.01, 12.5, 30.0]
    bad = await client.get("/products", params={"min_price": 5, "max_price": 1})
    assert bad.status_code == 422


async def test_product_patch(client: httpx.AsyncClient) -> None:
    category = await new_category(client)
    product = await new_product(client, category_id=category["id"])
    response = await client.patch(f"/products/{product['id']}", json={"price": "7.25", "stock": 9})
    assert response.status_code == 200
    assert response.json()["price"] == 7.25 and response.json()["stock"] == 9
    moved = await client.patch(f"/products/{product['id']}", json={"category_id": None})
    assert moved.json()["category"] is None
    missing = await client.patch(f"/products/{product['id']}", json={"category_id": 999})
    assert missing.status_code == 404
    assert (await client.get(f"/products/{product['id']}")).json()["category"] is None
    back = await client.patch(f"/products/{product['id']}", json={"category_id": category["id"]})
    assert back.json()["category"]["id"] == category["id"]
    assert (
        await client.patch(f"/products/{product['id']}", json={"price": None})
    ).status_code == 422
    assert (await client.patch("/products/999", json={"stock": 1})).status_code == 404


@pytest.mark.parametrize("text", ["\u0663", "1_0", "\uff11\uff12", "12 €"])
async def test_a_price_in_text_takes_the_digits_0_to_9_only(
    client: httpx.AsyncClient, text: str
) -> None:
    # Python's Decimal reads other scripts' digits and underscores; the API does not.
    created_ = await client.post("/products", json={"name": "Odd", "price": text})
    assert created_.status_code == 422, created_.text
    assert "digits 0-9" in created_.json()["detail"][0]["msg"]
    listed = await client.get("/products", params={"min_price": text})
    assert listed.status_code == 422, listed.text
    assert (await client.get("/products")).json()["total"] == 0
