"""ETags on every single resource; If-Match and If-None-Match, checked inside the write."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.accounts import sign_up_body
from tests.helpers import created, new_post, new_user

pytestmark = pytest.mark.anyio


async def test_etags_change_with_every_write_and_answer_304(client: httpx.AsyncClient) -> None:
    user = await client.post("/users", json=sign_up_body("a@example.com"))
    tag = user.headers["ETag"]
    read = await client.get(f"/users/{user.json()['id']}")
    assert read.headers["ETag"] == tag
    unchanged = await client.get(f"/users/{user.json()['id']}", headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["ETag"] == tag
    patched = await client.patch(f"/users/{user.json()['id']}", json={"age": 4})
    assert patched.headers["ETag"] != tag
    changed = await client.get(f"/users/{user.json()['id']}", headers={"If-None-Match": tag})
    assert changed.status_code == 200


async def test_a_posts_etag_follows_its_author(client: httpx.AsyncClient) -> None:
    author = await new_user(client)
    post = await new_post(client, author["id"])
    before = (await client.get(f"/posts/{post['id']}")).headers["ETag"]
    await client.patch(f"/users/{author['id']}", json={"name": "Ada L."})
    after = await client.get(f"/posts/{post['id']}", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.json()["author"]["name"] == "Ada L."


@pytest.mark.parametrize(
    ("path", "body", "change"),
    [
        ("/users", sign_up_body("a@example.com"), {"age": 4}),
        ("/categories", {"name": "Books"}, {"description": "Paper"}),
        ("/products", {"name": "Lamp", "price": 5}, {"stock": 2}),
    ],
)
async def test_if_match_guards_patch_and_delete(
    client: httpx.AsyncClient, path: str, body: dict[str, object], change: dict[str, object]
) -> None:
    made = await client.post(path, json=body)
    url, tag = f"{path}/{made.json()['id']}", made.headers["ETag"]
    first = await client.patch(url, json=change, headers={"If-Match": tag})
    assert first.status_code == 200
    stale = await client.patch(url, json=change, headers={"If-Match": tag})
    assert stale.status_code == 412 and "ETag" in stale.json()["detail"]
    assert (await client.delete(url, headers={"If-Match": tag})).status_code == 412
    assert (
        await client.delete(url, headers={"If-Match": first.headers["ETag"]})
    ).status_code == 204


async def test_racing_patches_with_one_if_match_give_one_200_and_one_412(
    client: httpx.AsyncClient,
) -> None:
    product = await client.post("/products", json={"name": "Lamp", "price": 5, "stock": 1})
    url = f"/products/{product.json()['id']}"
    for round_ in range(3):
        tag = (await client.get(url)).headers["ETag"]
        responses = await asyncio.gather(
            client.patch(url, json={"stock": 10 + round_}, headers={"If-Match": tag}),
            client.patch(url, json={"stock": 20 + round_}, headers={"If-Match": tag}),
        )
        assert sorted(r.status_code for r in responses) == [200, 412]
        winner = next(r for r in responses if r.status_code == 200)
        assert (await client.get(url)).json()["stock"] == winner.json()["stock"]


async def test_weak_or_unknown_tags_never_match(client: httpx.AsyncClient) -> None:
    category = await created(client, "/categories", {"name": "Books"})
    url = f"/categories/{category['id']}"
    tag = (await client.get(url)).headers["ETag"]
    for header in (f"W/{tag}", '"nope"'):
        response = await client.patch(url, json={"name": "Comics"}, headers={"If-Match": header})
        assert response.status_code == 412
    both = await client.patch(url, json={"name": "Comics"}, headers={"If-Match": f'"x", {tag}'})
    assert both.status_code == 200


async def test_if_none_match_compares_weakly_and_only_turns_a_200_into_a_304(
    client: httpx.AsyncClient,
) -> None:
    """RFC 9110 13.1.2: If-None-Match compares weakly; "*" names any current representation."""
    category = await created(client, "/categories", {"name": "Books"})
    url = f"/categories/{category['id']}"
    full = await client.get(url)
    tag = full.headers["ETag"]
    for header in (tag, f"W/{tag}", '"other", ' + tag, "*"):
        for method in ("GET", "HEAD"):
            response = await client.request(method, url, headers={"If-None-Match": header})
            assert response.status_code == 304, (method, header)
            assert response.content == b"" and response.headers["ETag"] == tag
            assert "content-type" not in response.headers
    assert (await client.get(url, headers={"If-None-Match": '"other"'})).content == full.content
    missing = await client.get("/categories/987654", headers={"If-None-Match": "*"})
    assert missing.status_code == 404 and missing.json() == {"detail": "Category not found"}
