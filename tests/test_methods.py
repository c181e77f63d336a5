"""405 Method Not Allowed lists every method of the path, and a concrete path beats a template."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from api.methods import documented_paths

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
    assert response.headers["allow"] == "GET"
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
