"""JSON a client can send but the service could not echo: a clean 4xx on every route with a body."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from api.strict_json import MAX_DEPTH, JSONRefused, parse_json
from api.validation import json_safe, validation_error
from tests.accounts import sign_up_body
from tests.hostile_json import HOSTILE_BODIES, body_operations

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("body", "loc"), list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
def test_parse_refuses_what_cannot_be_echoed(body: bytes, loc: list[Any]) -> None:
    with pytest.raises(JSONRefused) as refused:
        parse_json(body)
    assert refused.value.status_code == 422
    [error] = refused.value.detail
    assert error["type"] == "json_invalid"
    assert error["loc"] == loc
    json.dumps(refused.value.detail, allow_nan=False).encode("utf-8")  # the answer itself is JSON


def test_parse_keeps_what_json_allows() -> None:
    body = '{"name": "Zoë 😀", "pair": "\\ud83d\\ude00", "n": [1, -2.5e3, 0.1], "t": true}'
    assert parse_json(body.encode()) == {
        "name": "Zoë 😀",
        "pair": "😀",
        "n": [1, -2500.0, 0.1],
        "t": True,
    }
    assert parse_json(b'\xef\xbb\xbf{"a": null}') == {"a": None}  # a UTF-8 byte order mark
    deepest = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert parse_json(deepest) is not None
    assert parse_json(b"1e-400") == 0.0  # underflow is a finite number


@pytest.mark.parametrize("body", [b"", b"{", b'{"a": 1,}', b"nan", b"{'a': 1}"])
def test_syntax_errors_stay_json_decode_errors(body: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_json(body)


def test_json_safe_makes_anything_printable() -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no")

    hostile = {
        "nan": math.nan,
        "inf": [math.inf, -math.inf],
        "text\ud800": "x\udfff",
        1: 10**5000,
        None: (Unprintable(), ValueError("bad \ud800")),
        "deep": json.loads("[" * 50 + "]" * 50),
    }
    safe = json_safe(hostile)
    text = json.dumps(safe, allow_nan=False, ensure_ascii=False).encode("utf-8").decode()
    assert safe["nan"] == "NaN"
    assert safe["inf"] == ["Infinity", "-Infinity"]
    assert safe["text\\ud800"] == "x\\udfff"
    assert safe["1"] == "(integer too large to show)"
    assert safe["null"] == ["(Unprintable)", "bad \\ud800"]
    assert "..." in text


async def test_validation_handler_cannot_fail() -> None:
    errors = [
        {"type": "x", "loc": ("body", "a\ud800"), "msg": "m", "input": math.nan},
        {"type": "y", "loc": ("query",), "msg": "m", "input": {"k\udc00": [math.inf]}},
    ]
    response = await validation_error(None, RequestValidationError(errors))  # type: ignore[arg-type]
    assert response.status_code == 422
    detail = json.loads(response.body)["detail"]
    assert detail[0]["loc"] == ["body", "a\\ud800"]
    assert detail[0]["input"] == "NaN"
    assert detail[1]["input"] == {"k\\udc00": ["Infinity"]}


@pytest.mark.parametrize(("body", "loc"), list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
async def test_every_body_route_answers_422(
    app: FastAPI, client: httpx.AsyncClient, body: bytes, loc: list[Any]
) -> None:
    for method, path in body_operations(app.openapi()["paths"]):
        response = await client.request(
            method, path, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, (method, path, response.text)
        [error] = response.json()["detail"]
        assert error["type"] == "json_invalid", (method, path, error)
        assert error["loc"] == loc and error["msg"], (method, path, error)
    assert (await client.get("/users")).json()["total"] == 1  # the admin alone


async def test_a_body_that_is_not_json_is_415(app: FastAPI, client: httpx.AsyncClient) -> None:
    body = json.dumps(sign_up_body("ada@example.com")).encode()
    for method, path in body_operations(app.openapi()["paths"]):
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            headers = {"content-type": content_type} if content_type else {}
            response = await client.request(method, path, content=body, headers=headers)
            assert response.status_code == 415, (method, path, content_type, response.text)
            assert "application/json" in response.json()["detail"]
    response = await client.post(
        "/users", content=body, headers={"content-type": "application/merge-patch+json"}
    )
    assert response.status_code == 201, response.text  # any application/*+json is JSON
