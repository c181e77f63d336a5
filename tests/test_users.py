"""Users: the HTTP contract, identical on every backend."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.accounts import sign_up_body
from tests.helpers import new_user

pytestmark = pytest.mark.anyio


async def create_user(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    email = fields.pop("email", "ada@example.com")
    return await new_user(client, email, **{"name": "Ada Lovelace", **fields})


async def test_create_user_applies_defaults_and_lowercases_email(client: httpx.AsyncClient) -> None:
    user = await create_user(client, email="Ada@Example.COM")
    assert user["id"] >= 1
    assert user["email"] == "ada@example.com"
    assert user["city"] == "Unknown"
    assert user["is_active"] is True
    created = datetime.fromisoformat(str(user["created_at"]))
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert created.microsecond % 1000 == 0
    fetched = await client.get(f"/users/{user['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == user


async def test_duplicate_email_in_other_case_is_409(client: httpx.AsyncClient) -> None:
    await create_user(client, email="ada@example.com")
    response = await client.post("/users", json=sign_up_body("ADA@example.com", username="other"))
    assert response.status_code == 409
    assert response.json() == {"detail": "Email already registered"}
    listing = await client.get("/users", params={"name": "ada"})
    assert listing.json()["total"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "A"), ("name", "x" * 51), ("age", -1), ("age", 151), ("email", "not-an-email")],
)
async def test_invalid_user_is_422(client: httpx.AsyncClient, field: str, value: object) -> None:
    body = {**sign_up_body("ada@example.com"), field: value}
    response = await client.post("/users", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


async def test_unknown_user_is_404(client: httpx.AsyncClient) -> None:
    for method in ("GET", "DELETE"):
        response = await client.request(method, "/users/4242")
        assert response.status_code == 404
        assert response.json() == {"detail": "User not found"}
    response = await client.patch("/users/4242", json={"age": 3})
    assert response.status_code == 404


async def test_patch_changes_only_sent_fields(client: httpx.AsyncClient) -> None:
    user = await create_user(client, city="Paris")
    await asyncio.sleep(0.002)  # so a bumped updated_at is visibly later
    response = await client.patch(f"/users/{user['id']}", json={"age": 37, "is_active": False})
    assert response.status_code == 200
    updated = response.json()
    assert updated["age"] == 37 and updated["is_active"] is False
    assert updated["name"] == user["name"] and updated["city"] == "Paris"
    assert updated["created_at"] == user["created_at"]
    assert updated["updated_at"] > user["updated_at"]
    assert (await client.get(f"/users/{user['id']}")).json() == updated


async def test_patch_refuses_null_and_unknown_fields(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    null_name = await client.patch(f"/users/{user['id']}", json={"name": None})
    assert null_name.status_code == 422
    assert "name cannot be null" in null_name.text
    unknown = await client.patch(f"/users/{user['id']}", json={"password": "x"})
    assert unknown.status_code == 422


async def test_patch_email_to_taken_one_is_409(client: httpx.AsyncClient) -> None:
    await create_user(client, email="a@example.com")
    other = await create_user(client, email="b@example.com")
    response = await client.patch(f"/users/{other['id']}", json={"email": "A@EXAMPLE.com"})
    assert response.status_code == 409
    assert (await client.get(f"/users/{other['id']}")).json()["email"] == "b@example.com"


async def test_delete_user_removes_their_posts(client: httpx.AsyncClient) -> None:
    author = await create_user(client)
    keeper = await create_user(client, email="keep@example.com")
    for owner in (author, keeper):
        post = {"title": "A title", "content": "c" * 25, "author_id": owner["id"], "tags": ["x"]}
        assert (await client.post("/posts", json=post)).status_code == 201
    response = await client.delete(f"/users/{author['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/users/{author['id']}")).status_code == 404
    posts = (await client.get("/posts")).json()
    assert [p["author"]["id"] for p in posts["items"]] == [keeper["id"]]
    assert (await client.get("/tags")).json()["items"] == [{"name": "x", "post_count": 1}]


async def test_list_filters_sort_and_paginate(client: httpx.AsyncClient) -> None:
    people = [
        ("Alice Martin", "alice@x.io", 30, "Lyon", True),
        ("Bob Stone", "bob@x.io", 45, "Paris", True),
        ("Carla Alvarez", "carla@x.io", 22, "São Paulo", False),
        ("Dan Al", "dan@x.io", 60, "paris", True),
    ]
    for name, email, age, city, active in people:
        await create_user(client, name=name, email=email, age=age, city=city, is_active=active)

    async def names(params: dict[str, object], path: str = "/users") -> list[str]:
        response = await client.get(path, params=params)
        assert response.status_code == 200, response.text
        return [u["name"] for u in response.json()["items"]]

    assert await names({"name": "AL"}) == ["Alice Martin", "Carla Alvarez", "Dan Al"]
    assert await names({"city": "PARIS"}) == ["Bob Stone", "Dan Al"]
    assert await names({"city": "são"}) == ["Carla Alvarez"]
    assert await names({"min_age": 30, "max_age": 45}) == ["Alice Martin", "Bob Stone"]
    assert await names({"is_active": "false"}) == ["Carla Alvarez"]
    # The admin every test database holds (tests.accounts) is 0 years old.
    everyone = ["Dan Al", "Bob Stone", "Alice Martin", "Carla Alvarez", "Ωω"]
    assert await names({"sort": "-age"}) == everyone
    assert await names({"sort": "name", "skip": 1, "limit": 2}) == ["Bob Stone", "Carla Alvarez"]
    assert await names({"name": "al", "city": "paris"}, path="/users/search") == ["Dan Al"]

    page = (await client.get("/users", params={"limit": 1, "skip": 1, "sort": "-id"})).json()
    assert page["total"] == 5 and page["skip"] == 1 and page["limit"] == 1
    assert [u["name"] for u in page["items"]] == ["Carla Alvarez"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"skip": -1},
        {"sort": "email"},
        {"sort": "password"},
        {"min_age": 50, "max_age": 40},
        {"is_active": "maybe"},
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, object]
) -> None:
    response = await client.get("/users", params=params)
    assert response.status_code == 422, response.text


async def test_user_posts(client: httpx.AsyncClient) -> None:
    missing = await client.get("/users/999/posts")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "User not found"}
    user = await create_user(client)
    empty = (await client.get(f"/users/{user['id']}/posts")).json()
    assert empty == {"items": [], "total": 0, "skip": 0, "limit": 20, "next_cursor": None}
    other = await create_user(client, email="other@example.com")
    for owner, title in ((user, "Mine first"), (other, "Not mine"), (user, "Mine second")):
        body = {"title": title, "content": "x" * 20, "author_id": owner["id"]}
        assert (await client.post("/posts", json=body)).status_code == 201
    page = (await client.get(f"/users/{user['id']}/posts", params={"sort": "-id"})).json()
    assert [p["title"] for p in page["items"]] == ["Mine second", "Mine first"]
    assert page["total"] == 2


async def test_concurrent_duplicate_emails_make_exactly_one_user(client: httpx.AsyncClient) -> None:
    emails = [
        "".join(c.upper() if (i >> k) & 1 else c for k, c in enumerate("race@example.com"))
        for i in range(20)
    ]
    responses = await asyncio.gather(
        *(
            client.post("/users", json=sign_up_body(e, username=f"racer{i}", name="Racer"))
            for i, e in enumerate(emails)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 19, [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    listing = (await client.get("/users", params={"name": "racer"})).json()
    assert listing["total"] == 1
    assert listing["items"][0]["email"] == "race@example.com"
