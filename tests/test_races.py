"""Rules that span records hold under real concurrency, with the same assertions everywhere.

Requests really overlap: the app runs them as concurrent tasks, and the store
(SQLite, PostgreSQL, MariaDB, or a Mongo server in its own process) serves
them concurrently. On MongoDB each rule is one multi-document transaction
(``storage.mongo.runner``); on SQL one transaction with foreign keys.
Whatever the interleaving, the end state must be one a serial order explains,
and every answer must be one that state implies: never a 500.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest

from tests.helpers import created, new_user

pytestmark = pytest.mark.anyio

ROUNDS = 3
WRITERS = 12


async def after(seconds: float, request: Awaitable[httpx.Response]) -> httpx.Response:
    """``request``, started ``seconds`` from now."""
    await asyncio.sleep(seconds)
    return await request


async def everything(client: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
    """Every item of a list, page by page, checking the total matches what is there."""
    found: list[dict[str, Any]] = []
    while True:
        response = await client.get(path, params={"skip": len(found), "limit": 100})
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["items"]
        if len(found) >= page["total"] or not page["items"]:
            assert page["total"] == len(found), (path, page["total"], len(found))
            return found


async def assert_posts_and_tags_agree(client: httpx.AsyncClient) -> None:
    """No post without its author; tag counts count exactly the posts that exist."""
    posts = await everything(client, "/posts")
    users = {user["id"] for user in await everything(client, "/users")}
    assert all(post["author"]["id"] in users for post in posts)
    counted = Counter(tag for post in posts for tag in post["tags"])
    tags = await everything(client, "/tags")
    assert {tag["name"]: tag["post_count"] for tag in tags} == dict(counted)


async def test_deleting_an_author_while_they_post_leaves_no_orphan(
    client: httpx.AsyncClient,
) -> None:
    for round_ in range(ROUNDS):
        author = await new_user(client, email=f"author{round_}@example.com")
        bodies = [
            {
                "title": f"Round {round_} post {i}",
                "content": "Written while the author is deleted.",
                "author_id": author["id"],
                "tags": [f"round{round_}", "race"],
            }
            for i in range(WRITERS)
        ]
        writes = [client.post("/posts", json=body) for body in bodies]
        writes.insert(WRITERS // 2, client.delete(f"/users/{author['id']}"))
        responses = await asyncio.gather(*writes)
        deleted = responses.pop(WRITERS // 2)
        assert deleted.status_code == 204
        statuses = Counter(response.status_code for response in responses)
        assert set(statuses) <= {201, 404}, [r.text for r in responses]
        assert all(r.json() == {"detail": "Author not found"} for r in responses if r.is_error)
        # The author is gone, and so is every post that was accepted for them.
        assert (await client.get(f"/users/{author['id']}")).status_code == 404
        listing = await client.get("/posts", params={"author_id": author["id"]})
        assert listing.json()["total"] == 0
        for response in responses:
            if response.status_code == 201:
                gone = await client.get(f"/posts/{response.json()['id']}")
                assert gone.status_code == 404
        await assert_posts_and_tags_agree(client)


async def test_deleting_a_category_while_products_join_it_leaves_no_dangling_reference(
    client: httpx.AsyncClient,
) -> None:
    for round_ in range(ROUNDS):
        category = await created(client, "/categories", {"name": f"Round {round_}"})
        loose = await created(client, "/products", {"name": f"Loose {round_}", "price": 1})
        # Staggered starts: the delete lands among the writes, not always after them.
        writes = [
            after(
                (i + 1) * 0.002,
                client.post(
                    "/products",
                    json={"name": f"P{round_}-{i}", "price": "2.50", "category_id": category["id"]},
                ),
            )
            for i in range(WRITERS // 2)
        ]
        writes.append(
            after(
                0.007,
                client.patch(f"/products/{loose['id']}", json={"category_id": category["id"]}),
            )
        )
        writes.insert(
            WRITERS // 4, after(0.003 * round_, client.delete(f"/categories/{category['id']}"))
        )
        responses = await asyncio.gather(*writes)
        deleted = responses.pop(WRITERS // 4)
        assert deleted.status_code in (204, 409), deleted.text
        assert all(r.status_code in (200, 201, 404) for r in responses), [r.text for r in responses]

        products = await everything(client, "/products")
        filed = [p for p in products if p["category"] and p["category"]["id"] == category["id"]]
        exists = (await client.get(f"/categories/{category['id']}")).status_code == 200
        if deleted.status_code == 204:
            # Deleted, so it had no product when it went, and every write naming it
            # came after and was refused: nothing is filed under a missing category.
            assert not exists and filed == []
            assert all(r.json() == {"detail": "Category not found"} for r in responses)
        else:
            assert exists and filed, "409 means a product was filed under it"
        accepted = sum(r.is_success for r in responses)
        assert accepted == len(filed), (accepted, len(filed))


async def test_concurrent_deletes_of_one_category_answer_204_once(
    client: httpx.AsyncClient,
) -> None:
    category = await created(client, "/categories", {"name": "Once"})
    responses = await asyncio.gather(
        *(client.delete(f"/categories/{category['id']}") for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [204] + [404] * 7
