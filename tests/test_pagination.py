"""Keyset pagination: cursors walk every list in every order, and cannot be forged."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import created, new_post, new_user

pytestmark = pytest.mark.anyio

LISTS = {
    "/users": ["id", "-id", "name", "-name", "age", "-age", "created_at", "-created_at"],
    "/posts": ["id", "-id", "title", "-title", "created_at", "-created_at"],
    "/products": ["id", "-id", "name", "-name", "price", "-price", "stock", "-stock"],
    "/categories": ["id", "-id", "name", "-name"],
    "/tags": ["name", "-name", "post_count", "-post_count"],
}


async def seed(client: httpx.AsyncClient) -> None:
    names = ["Émile", "adam", "Zoë", "bob", "Adam", "ılık", "Straße", "zed"]
    for i in range(23):
        user = await new_user(
            client, email=f"u{i}@example.com", name=f"{names[i % 8]} {i // 8}", age=30 + i % 4
        )
        await new_post(
            client, user["id"], title=f"{names[-1 - i % 8]} post", tags=[f"t{i % 5}", f"s{i % 3}"]
        )
    for i in range(11):
        await created(client, "/categories", {"name": f"{names[i % 8]} {i}"})
    for i in range(17):
        body = {"name": names[i % 8], "price": str(1 + i % 4), "stock": i % 3}
        await created(client, "/products", body)


def key(item: dict[str, Any]) -> Any:
    return item.get("id", item.get("name"))


async def walk(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> list[Any]:
    """Every item by following next_cursor, 4 at a time."""
    seen: list[Any] = []
    cursor = None
    for _ in range(100):
        response = await client.get(
            path, params={**params, "limit": 4, **({"after": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [key(item) for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the walk did not end")


async def test_a_cursor_walk_equals_a_skip_walk_in_every_order(client: httpx.AsyncClient) -> None:
    await seed(client)
    for path, sorts in LISTS.items():
        for sort in sorts:
            everything = (await client.get(path, params={"sort": sort, "limit": 100})).json()
            expected = [key(item) for item in everything["items"]]
            assert await walk(client, path, {"sort": sort}) == expected, (path, sort)
    filtered = {"name": "a", "sort": "-age"}
    everything = (await client.get("/users", params={**filtered, "limit": 100})).json()
    assert await walk(client, "/users", filtered) == [key(i) for i in everything["items"]]


async def test_the_last_page_has_no_cursor_and_count_false_leaves_out_total(
    client: httpx.AsyncClient,
) -> None:
    for i in range(3):
        await new_user(client, email=f"u{i}@example.com")
    page = (await client.get("/users", params={"limit": 4})).json()  # 3 and the admin
    assert page["next_cursor"] is None and page["total"] == 4
    page = (await client.get("/users", params={"limit": 2, "count": "false"})).json()
    assert page["total"] is None and page["next_cursor"] is not None


async def test_inserts_between_pages_neither_repeat_nor_skip(client: httpx.AsyncClient) -> None:
    for i in range(6):
        await new_user(client, email=f"u{i}@example.com", name=f"Name {i:02d}")
    first = (await client.get("/users", params={"sort": "name", "limit": 3})).json()
    # Sorted before and after the page boundary while the client reads.
    await new_user(client, email="early@example.com", name="Name 00a")
    await new_user(client, email="late@example.com", name="Name 04a")
    rest = (
        await client.get(
            "/users", params={"sort": "name", "limit": 10, "after": first["next_cursor"]}
        )
    ).json()
    names = [u["name"] for u in first["items"] + rest["items"]]
    expected = ["Name 00", "Name 01", "Name 02", "Name 03", "Name 04", "Name 04a", "Name 05"]
    assert names == [*expected, "Ωω"]  # the admin, whose name sorts last


async def test_tampered_or_foreign_cursors_are_422(client: httpx.AsyncClient) -> None:
    for i in range(3):
        await new_user(client, email=f"u{i}@example.com", name=f"N{i}")
    cursor = (await client.get("/users", params={"limit": 1, "sort": "name"})).json()["next_cursor"]
    body, _, signature = cursor.partition(".")
    forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + signature
    cases = [
        ("/users", {"sort": "name", "after": forged}),  # altered
        ("/users", {"sort": "name", "after": "garbage"}),  # not a cursor
        ("/users", {"sort": "-name", "after": cursor}),  # another order
        ("/users", {"sort": "name", "name": "N", "after": cursor}),  # another filter
        ("/categories", {"sort": "name", "after": cursor}),  # another list
        ("/users", {"sort": "name", "after": cursor, "skip": 1}),  # both ways at once
    ]
    for path, params in cases:
        response = await client.get(path, params=params)
        assert response.status_code == 422, (params, response.text)
    ok = await client.get("/users", params={"sort": "name", "after": cursor})
    assert [u["name"] for u in ok.json()["items"]] == ["N1", "N2", "Ωω"]  # and the admin
