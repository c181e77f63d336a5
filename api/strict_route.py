"""The route class every router uses: how a request's body and query string are read.

- The body is parsed as strict JSON (``api.strict_json``), and a body sent with
  another media type is a 415 instead of a confusing 422 (routes that take a
  form, such as a picture upload, take ``multipart/form-data`` instead).
- A query parameter sent with an empty value (``?max_price=``) counts as absent,
  the way HTML forms and most HTTP clients send "no value"; the OpenAPI document
  says so with ``allowEmptyValue`` (``api.openapi``).
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response, params
from fastapi.routing import APIRoute
from starlette.datastructures import Headers, QueryParams

from api.strict_json import parse_json

UNSUPPORTED_MEDIA_TYPE = "Send the request body as JSON, with Content-Type: application/json"


class StrictRequest(Request):
    """A request whose JSON body is parsed strictly and whose empty query values are dropped."""

    @property
    def query_params(self) -> QueryParams:
        """The query string's parameters, leaving out those sent with an empty value."""
        if not hasattr(self, "_query_params"):
            given = QueryParams(self.scope["query_string"])
            self._query_params = QueryParams([(k, v) for k, v in given.multi_items() if v != ""])
        return self._query_params

    async def json(self) -> Any:
        """The body parsed by ``api.strict_json.parse_json`` (cached, as Starlette does)."""
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class StrictRoute(APIRoute):
    """An ``APIRoute`` that hands its endpoint a ``StrictRequest``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, given a ``StrictRequest`` after the media type is checked."""
        handler = super().get_route_handler()
        # A form (a file upload) is parsed by FastAPI as multipart; only JSON bodies are ours.
        takes_body = self.body_field is not None and not isinstance(
            self.body_field.field_info, params.Form
        )

        async def strict_handler(request: Request) -> Response:
            if takes_body and _has_body(request.headers) and not _is_json(request.headers):
                raise HTTPException(status_code=415, detail=UNSUPPORTED_MEDIA_TYPE)
            return await handler(StrictRequest(request.scope, request.receive))

        return strict_handler


def _has_body(headers: Headers) -> bool:
    # HTTP/1.1 frames a body with Content-Length or Transfer-Encoding; neither means none.
    length = headers.get("content-length", "")
    return "transfer-encoding" in headers or (length.isdigit() and int(length) > 0)


def _is_json(headers: Headers) -> bool:
    # The rule FastAPI applies before it parses a body: application/json or application/*+json.
    content_type = headers.get("content-type")
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )
