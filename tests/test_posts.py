"""Posts and tags: the HTTP contract, identical on every backend."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.helpers import items, new_post, new_user

pytestmark = pytest.mark.anyio


async def test_create_post_normalises_tags_and_embeds_author(client: httpx.AsyncClient) -> None:
    author = await new_user(client)
    post = await new_post(client, author["id"], tags=["Python", "fastapi", "PYTHON", " sql "])
    assert post["tags"] == ["fastapi", "python", "sql"]
    # A post shows who wrote it, never how to reach them (no email, no role).
    assert post["author"] == {k: author[k] for k in ("id", "username", "name", "image_url")}
    assert post["published"] is False
    assert (await client.get(f"/posts/{post['id']}")).json() == post


async def test_post_for_unknown_author_is_404(client: httpx.AsyncClient) -> None:
    body = {"title": "A fine title", "content": "x" * 20, "author_id": 12345}
    response = await client.post("/posts", json=body)
    assert response.status_code == 404
    assert response.json() == {"detail": "Author not found"}
    assert (await client.get("/posts")).json()["total"] == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Shrt"),
        ("title", "x" * 101),
        ("content", "too short"),
        ("tags", ["has space"]),
        ("tags", [""]),
        ("tags", "notalist"),
        ("author_id", 0),
    ],
)
async def test_invalid_post_is_422(client: httpx.AsyncClient, field: str, value: object) -> None:
    author = await new_user(client)
    body = {"title": "A fine title", "content": "x" * 20, "author_id": author["id"], field: value}
    response = await client.post("/posts", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["body", field]


async def test_filters(client: httpx.AsyncClient) -> None:
    ada = await new_user(client)
    bob = await new_user(client, email="bob@example.com", name="Bob")
    await new_post(client, ada["id"], title="Async SQLAlchemy", tags=["sql"], published=True)
    await new_post(client, bob["id"], title="Mongo schemas", tags=["mongo", "nosql"])
    await new_post(
        client, ada["id"], title="Indexes", content="Both SQL and MONGO use them.", tags=["sql"]
    )

    assert await items(client, "/posts", "title", published="true") == ["Async SQLAlchemy"]
    assert await items(client, "/posts", "title", author_id=bob["id"]) == ["Mongo schemas"]
    assert await items(client, "/posts", "title", tag="SQL") == ["Async SQLAlchemy", "Indexes"]
    assert await items(client, "/posts", "title", q="mongo") == ["Mongo schemas", "Indexes"]
    assert await items(client, "/posts", "title", q="mongo", published="false", tag="sql") == [
        "Indexes"
    ]
    assert await items(client, "/posts", "title", sort="-title") == [
        "Mongo schemas",
        "Indexes",
        "Async SQLAlchemy",
    ]
    assert await items(client, "/posts", "title", tag="absent") == []


async def test_publish_is_idempotent(client: httpx.AsyncClient) -> None:
    author = await new_user(client)
    post = await new_post(client, author["id"])
    await asyncio.sleep(0.002)
    first = await client.post(f"/posts/{post['id']}/publish")
    assert first.status_code == 200
    assert first.json()["published"] is True
    assert first.json()["updated_at"] > post["updated_at"]
    second = await client.post(f"/posts/{post['id']}/publish")
    assert second.status_code == 200
    assert second.json() == first.json()
    assert (await client.post("/posts/999/publish")).status_code == 404


async def test_patch_replaces_tags_and_keeps_the_rest(client: httpx.AsyncClient) -> None:
    author = await new_user(client)
    post = await new_post(client, author["id"], tags=["a", "b"])
    response = await client.patch(f"/posts/{post['id']}", json={"tags": ["C", "b"]})
    assert response.status_code == 200
    patched = response.json()
    assert patched["tags"] == ["b", "c"]
    assert patched["title"] == post["title"] and patched["author"] == post["author"]
    cleared = await client.patch(f"/posts/{post['id']}", json={"tags": []})
    assert cleared.json()["tags"] == []
    assert (await client.patch(f"/posts/{post['id']}", json={"title": None})).status_code == 422
    assert (await client.patch("/posts/999", json={"title": "Hello there"})).status_code == 404


async def test_delete_post(client: httpx.AsyncClient) -> None:
    author = await new_user(client)
    post = await new_post(client, author["id"], tags=["gone"])
    assert (await client.delete(f"/posts/{post['id']}")).status_code == 204
    assert (await client.get(f"/posts/{post['id']}")).status_code == 404
    assert (await client.delete(f"/posts/{post['id']}")).status_code == 404
    assert (await client.get("/tags")).json()["total"] == 0


async def test_tag_counts(client: httpx.AsyncClient) -> None:
    author = await new_user(client)
    for tags in (["python", "web"], ["python"], ["db", "python", "web"]):
        await new_post(client, author["id"], tags=tags)
    page = (await client.get("/tags")).json()
    assert page == {
        "items": [
            {"name": "db", "post_count": 1},
            {"name": "python", "post_count": 3},
            {"name": "web", "post_count": 2},
        ],
        "total": 3,
        "next_cursor": None,
        "skip": 0,
        "limit": 20,
    }
    assert await items(client, "/tags", "name", sort="-post_count") == ["python", "web", "db"]
    assert await items(client, "/tags", "name", sort="post_count", limit=2) == ["db", "web"]
    assert (await client.get("/tags", params={"sort": "id"})).status_code == 422


async def test_concurrent_posts_sharing_new_tags(client: httpx.AsyncClient) -> None:
    author = await new_user(client)
    bodies = [
        {
            "title": f"Post number {i}",
            "content": "x" * 20,
            "author_id": author["id"],
            "tags": ["fresh", f"t{i % 3}"],
        }
        for i in range(12)
    ]
    responses = await asyncio.gather(*(client.post("/posts", json=b) for b in bodies))
    assert [r.status_code for r in responses] == [201] * 12, [r.text for r in responses]
    counts = {t["name"]: t["post_count"] for t in (await client.get("/tags")).json()["items"]}
    assert counts == {"fresh": 12, "t0": 4, "t1": 4, "t2": 4}
