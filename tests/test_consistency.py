"""Rules that hold under concurrency and over time: no lost or half-applied change."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from tests.helpers import items, new_post, new_user

pytestmark = pytest.mark.anyio

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_timestamps_are_utc_with_milliseconds(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    assert TIMESTAMP.match(user["created_at"]), user["created_at"]
    assert TIMESTAMP.match(user["updated_at"]), user["updated_at"]


async def test_ids_are_never_reused(client: httpx.AsyncClient) -> None:
    first = await new_user(client, email="first@example.com")
    assert (await client.delete(f"/users/{first['id']}")).status_code == 204
    second = await new_user(client, email="second@example.com")
    assert second["id"] == first["id"] + 1


async def test_empty_patch_changes_nothing(client: httpx.AsyncClient) -> None:
    user = await new_user(client)
    await asyncio.sleep(0.002)
    response = await client.patch(f"/users/{user['id']}", json={})
    assert response.status_code == 200
    assert response.json() == user


async def test_text_sorts_by_code_point_and_ties_by_id(client: httpx.AsyncClient) -> None:
    for name, age in (("adam", 30), ("Émile", 30), ("Zoe", 40), ("Bob", 30)):
        await new_user(client, email=f"{name.lower()}@example.com", name=f"{name} X", age=age)
    # "Ωω" is the test database's admin (tests.accounts), aged 0.
    assert await items(client, "/users", "name", sort="name") == [
        "Bob X", "Zoe X", "adam X", "Émile X", "Ωω",
    ]  # fmt: skip
    # Equal ages keep id order, ascending, in both directions of the sort.
    assert await items(client, "/users", "name", sort="-age") == [
        "Zoe X", "adam X", "Émile X", "Bob X", "Ωω",
    ]  # fmt: skip
    assert await items(client, "/users", "name", sort="age") == [
        "Ωω", "adam X", "Émile X", "Bob X", "Zoe X",
    ]  # fmt: skip


async def test_user_posts_ignore_another_author_id(client: httpx.AsyncClient) -> None:
    ada = await new_user(client)
    bob = await new_user(client, email="bob@example.com")
    mine = await new_post(client, ada["id"])
    await new_post(client, bob["id"])
    assert await items(client, f"/users/{ada['id']}/posts", author_id=bob["id"]) == [mine["id"]]


async def test_update_racing_delete_is_200_or_404_never_500(client: httpx.AsyncClient) -> None:
    for round_ in range(5):
        user = await new_user(client, email=f"racer{round_}@example.com")
        patch, delete = await asyncio.gather(
            client.patch(f"/users/{user['id']}", json={"age": 77}),
            client.delete(f"/users/{user['id']}"),
        )
        assert patch.status_code in (200, 404), patch.text
        assert delete.status_code == 204
        assert (await client.get(f"/users/{user['id']}")).status_code == 404


async def test_concurrent_tag_edits_of_one_post(client: httpx.AsyncClient) -> None:
    author = await new_user(client)
    post = await new_post(client, author["id"], tags=["old"])
    responses = await asyncio.gather(
        *(client.patch(f"/posts/{post['id']}", json={"tags": ["new", "shared"]}) for _ in range(8))
    )
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    final = (await client.get(f"/posts/{post['id']}")).json()
    assert final["tags"] == ["new", "shared"]
    counts = {t["name"]: t["post_count"] for t in (await client.get("/tags")).json()["items"]}
    assert counts == {"new": 1, "shared": 1}


async def test_publish_racing_delete_never_500(client: httpx.AsyncClient) -> None:
    author = await new_user(client)
    for _ in range(5):
        post = await new_post(client, author["id"])
        publish, delete = await asyncio.gather(
            client.post(f"/posts/{post['id']}/publish"), client.delete(f"/posts/{post['id']}")
        )
        assert publish.status_code in (200, 404), publish.text
        assert delete.status_code == 204
