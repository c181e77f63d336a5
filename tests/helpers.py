"""Small request helpers shared by the contract tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.accounts import sign_up_body

Json = dict[str, Any]


async def created(client: httpx.AsyncClient, path: str, body: Json) -> Json:
    """POST ``body`` to ``path``, assert 201, return the resource."""
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


async def new_user(
    client: httpx.AsyncClient, email: str = "ada@example.com", **fields: Any
) -> Json:
    """Sign a user up (sensible defaults for the fields not given; password ``PASSWORD``).

    ``is_active`` is not the user's to set: the client (the admin) sets it after.
    """
    is_active = fields.pop("is_active", None)
    user = await created(client, "/users", sign_up_body(email, **fields))
    if is_active is not None:
        response = await client.patch(f"/users/{user['id']}", json={"is_active": is_active})
        assert response.status_code == 200, response.text
        user = response.json()
    return user


async def new_post(client: httpx.AsyncClient, author_id: int, **fields: Any) -> Json:
    """Create a post (sensible defaults for the fields not given)."""
    body = {"title": "A fine title", "content": "Twenty characters at least.", **fields}
    return await created(client, "/posts", {"author_id": author_id, **body})


async def items(client: httpx.AsyncClient, path: str, key: str = "id", **params: Any) -> list[Any]:
    """GET a list and return ``key`` of each item on the page (asserting 200)."""
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return [item[key] for item in response.json()["items"]]
