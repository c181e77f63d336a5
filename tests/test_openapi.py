"""The OpenAPI document says what the service does: statuses, empty query values, nulls."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from api.main import create_app
from api.settings import Settings
from api.strict_route import StrictRoute
from storage.types.common import Patch
from tests.helpers import new_user

pytestmark = pytest.mark.anyio

RESOURCES = ("/users", "/posts", "/tags", "/categories", "/products")


@pytest.fixture(scope="module")
def document_app() -> FastAPI:
    """The app as built, lifespan not run: the document needs no database."""
    return create_app(Settings())


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) for every documented operation."""
    return [
        (method, path, operation)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    ]


def test_every_api_route_reads_requests_strictly(document_app: FastAPI) -> None:
    routes = [context.original_route for context in iter_route_contexts(document_app.routes)]
    # The login form is form-encoded (OAuth2's password flow), so not a strict JSON route;
    # the web pages (left out of the document) read HTML forms, not JSON.
    api_routes = [
        route
        for route in routes
        if isinstance(route, APIRoute) and route.path != "/auth/token" and route.include_in_schema
    ]
    assert len(api_routes) >= 26
    assert all(isinstance(route, StrictRoute) for route in api_routes), api_routes


def test_body_operations_document_every_refusal(document_app: FastAPI) -> None:
    with_body = [op for _, _, op in operations(document_app) if "requestBody" in op]
    assert len(with_body) >= 8
    for operation in with_body:
        assert {"413", "422"} <= operation["responses"].keys(), operation["operationId"]
        # 415 is for JSON bodies sent as something else; a form (login, picture) is parsed as one.
        json_body = "application/json" in operation["requestBody"]["content"]
        assert ("415" in operation["responses"]) == json_body, operation["operationId"]


def test_database_operations_document_503_with_retry_after(document_app: FastAPI) -> None:
    for method, path, operation in operations(document_app):
        if path.startswith(RESOURCES):
            unavailable = operation["responses"].get("503")
            assert unavailable is not None, (method, path)
            assert "Retry-After" in unavailable["headers"], (method, path)


def test_query_parameters_may_be_empty(document_app: FastAPI) -> None:
    for method, path, operation in operations(document_app):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                assert parameter.get("allowEmptyValue") is True, (method, path, parameter)


async def test_an_empty_query_value_counts_as_absent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    author = await new_user(client)
    for method, path, operation in operations(app):
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if method != "get" or not names:
            continue
        url = re.sub(r"\{[^}]+\}", str(author["id"]), path)
        empty = await client.get(url, params=dict.fromkeys(names, ""))
        absent = await client.get(url)
        assert empty.status_code == 200, (url, empty.text)
        assert empty.json() == absent.json(), url


async def test_a_blank_value_is_still_a_value(client: httpx.AsyncClient) -> None:
    # Only the empty string means "absent"; a space is text, checked like any other.
    assert (await client.get("/products", params={"max_price": " "})).status_code == 422
    assert (await client.get("/users", params={"name": " "})).status_code == 200


def test_patch_schemas_offer_null_only_where_it_is_accepted(document_app: FastAPI) -> None:
    schemas = document_app.openapi()["components"]["schemas"]
    patches = [model for model in _subclasses(Patch) if model.__name__ in schemas]
    assert len(patches) >= 4
    for model in patches:
        for name, prop in schemas[model.__name__]["properties"].items():
            offers_null = {"type": "null"} in prop.get("anyOf", [])
            assert offers_null == (name in model.nullable), (model.__name__, name, prop)


async def test_null_is_refused_where_the_schema_does_not_offer_it(
    client: httpx.AsyncClient,
) -> None:
    user = await new_user(client)
    response = await client.patch(f"/users/{user['id']}", json={"is_active": None})
    assert response.status_code == 422


def _subclasses(model: type[Patch]) -> list[type[Patch]]:
    found = []
    for sub in model.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
