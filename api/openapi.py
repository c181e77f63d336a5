"""The OpenAPI document, completed with what the HTTP layer does for every operation.

FastAPI documents each route from its signature. What the layer around the
routes adds is written here, once, so the document says exactly what the
service answers:

- an operation with a body may answer 413 (``api.limits``) and, if the body
  is JSON, 415 (``api.strict_route``), besides the 422 FastAPI documents;
- every query parameter may be sent empty, meaning absent (``api.strict_route``):
  ``allowEmptyValue``;
- a partial update (``storage.types.common.Patch``) refuses ``null`` except for
  the fields it names as ``nullable``, so the others' schemas do not offer it;
- every GET also answers HEAD (``api.methods``): the same status and headers,
  no body, documented as an operation of its own;
- a GET that may answer 304 takes ``If-None-Match`` (``api.conditional``:
  decided for all of them in one place, so no route declares the header).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from api.errors import ErrorBody
from storage.types.common import Patch

OpenAPI = dict[str, Any]
BODY_ERRORS = {
    "413": "Body larger than MAX_BODY_BYTES",
    "415": "Body not sent as application/json",
}


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed document (built once, then cached)."""
    build = app.openapi

    def openapi() -> OpenAPI:
        if app.openapi_schema is None:
            complete(build())  # FastAPI caches what build() returns; completed in place
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: OpenAPI) -> None:
    """Add the body errors, ``allowEmptyValue`` and the patch rules to ``document``."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ErrorBody.__name__, ErrorBody.model_json_schema())
    error = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ErrorBody.__name__}"}}}
    for operation in _operations(document):
        if "requestBody" in operation:
            responses = operation.setdefault("responses", {})
            takes_json = "application/json" in operation["requestBody"].get("content", {})
            for status, description in BODY_ERRORS.items():
                if status == "415" and not takes_json:
                    continue  # a form (the login, a picture upload) is parsed as a form
                responses.setdefault(status, {"description": description, "content": error})
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query":
                parameter["allowEmptyValue"] = True
    for path_item in document.get("paths", {}).values():
        get = path_item.get("get")
        if get is None:
            continue
        if "304" in get.get("responses", {}):
            get.setdefault("parameters", []).append(IF_NONE_MATCH)
        if "head" not in path_item:
            path_item["head"] = _head_of(get)
    for model in _patch_models():
        if model.__name__ in schemas:
            never_null = [name for name in model.model_fields if name not in model.nullable]
            _refuse_null(schemas[model.__name__], never_null)


IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "Answer 304 without a body if it names the resource's current ETag.",
    "schema": {"type": "string"},
}


def _head_of(get: dict[str, Any]) -> dict[str, Any]:
    """The HEAD operation beside ``get``: its parameters and statuses, without bodies."""
    head = copy.deepcopy(get)
    if "operationId" in head:
        head["operationId"] += "_head"
    head["summary"] = "Headers of: " + get.get("summary", "GET")
    head["description"] = "The same status and headers as GET, without a body (RFC 9110)."
    for response in head.get("responses", {}).values():
        response.pop("content", None)
    return head


def _operations(document: OpenAPI) -> Iterator[dict[str, Any]]:
    for path_item in document.get("paths", {}).values():
        for key, operation in path_item.items():
            if key in {"get", "put", "post", "delete", "options", "head", "patch", "trace"}:
                yield operation


def _patch_models() -> Iterator[type[Patch]]:
    pending: list[type[Patch]] = [Patch]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        yield model


def _refuse_null(schema: dict[str, Any], names: list[str]) -> None:
    """Drop ``{"type": "null"}`` from the ``anyOf`` of each named property."""
    properties = schema.get("properties", {})
    for name in names:
        prop = properties.get(name)
        if prop is None or "anyOf" not in prop:
            continue
        choices = [choice for choice in prop["anyOf"] if choice != {"type": "null"}]
        if prop.get("default", "absent") is None:
            del prop["default"]
        if len(choices) == 1:
            del prop["anyOf"]
            prop.update(choices[0])
        else:
            prop["anyOf"] = choices
