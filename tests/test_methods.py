"""405 lists every method of the path, a concrete path beats a template, HEAD wherever GET."""

from __future__ import annotations

from collections import defaultdict

import httpx
import pytest
from fastapi import FastAPI

from api.methods import MethodTable, documented_paths
from tests.helpers import new_post, new_user

pytestmark = pytest.mark.anyio

ALL_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")


async def test_every_undeclared_method_is_405_with_the_full_allow_list(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for template, operations in app.openapi()["paths"].items():
        path = template.replace("{", "").replace("}", "")  # "/users/user_id": a 422 if routed
        declared = {method.upper() for method in operations}
        for method in set(ALL_METHODS) - declared:
            response = await client.request(method, path)
            assert response.status_code == 405, (method, path, response.text)
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            assert allowed == declared, (method, template, response.headers["allow"])


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "PUT", "POST"])
async def test_a_concrete_path_is_not_taken_for_an_id(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, "/users/search", json={"name": "Ada"})
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json() == {"detail": "Method Not Allowed"}


async def test_declared_methods_still_reach_their_routes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/users/search", params={"name": "x"})).status_code == 200
    assert (await client.patch("/users/7", json={})).status_code == 404
    assert (await client.delete("/users/7")).status_code == 404
    assert (await client.get("/nowhere")).status_code == 404
    assert (await client.get("/openapi.json")).status_code == 200


def test_concrete_paths_are_tried_first() -> None:
    paths = documented_paths(
        {"/a/{id}": {"get": {}, "delete": {}}, "/a/b": {"get": {}}, "/a/{id}/c/{x}": {"put": {}}}
    )
    first = next(path for path in paths if path.pattern.match("/a/b"))
    assert first.allow == ("GET",)
    assert next(path for path in paths if path.pattern.match("/a/7")).allow == ("GET", "DELETE")
    assert not any(path.pattern.match("/a/") for path in paths)  # a parameter is never empty
    assert next(path for path in paths if path.pattern.match("/a/1/c/2")).allow == ("PUT",)


# Headers that differ between any two responses, whatever the method.
PER_RESPONSE = {"x-request-id", "server-timing", "date", "set-cookie"}


def _comparable(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in PER_RESPONSE}


async def test_head_answers_what_get_answers_without_a_body(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """RFC 9110 9.3.2: every documented GET path, found or not, also takes HEAD."""
    user = await new_user(client)
    post = await new_post(client, user["id"], published=True)
    # Ids that exist (user, post; others: 1, which may not), a digest that does not.
    values = defaultdict(
        lambda: "1", user_id=user["id"], post_id=post["id"], digest="0" * 64, size="64"
    )
    documented = app.openapi()["paths"]
    checked = 0
    for template, operations in documented.items():
        if "get" not in operations:
            continue
        assert "head" in operations, template  # the document lists it too
        path = template.format_map(values)
        for target in (path, path.replace("/1", "/987654")):
            get, head = await client.get(target), await client.head(target)
            assert head.status_code == get.status_code, target
            assert head.content == b"", target
            assert _comparable(head) == _comparable(get), target
            checked += 1
    assert checked >= 20


async def test_head_on_a_path_without_get_is_405(client: httpx.AsyncClient) -> None:
    response = await client.head("/auth/token")
    assert response.status_code == 405
    assert "HEAD" not in response.headers["allow"] and "POST" in response.headers["allow"]


async def test_head_reaches_the_pages_and_static_files(client: httpx.AsyncClient) -> None:
    for path in ("/shop", "/static/style.css"):
        get, head = await client.get(path), await client.head(path)
        assert get.status_code == head.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


def test_a_lookup_tries_only_the_paths_of_its_first_segment() -> None:
    table = MethodTable({"/a/{id}": {"get": {}}, "/a/b": {"post": {}}, "/c": {"get": {}}})
    assert table.allow("/a/b") == ("POST",)
    assert table.allow("/a/7") == ("GET",)
    assert table.allow("/c") == ("GET",)
    assert table.allow("/c/7") is None and table.allow("/d") is None
