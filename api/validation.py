"""The 422 answer to a request that fails validation, built so that rendering it cannot fail.

FastAPI's own handler echoes each error's ``input``; an input that JSON cannot
carry (a NaN, a lone surrogate, an integer too long to print) made the handler
itself raise, and the client got a 500 instead of its 422. ``json_safe`` turns
anything into a value ``json.dumps(..., allow_nan=False)`` and UTF-8 accept.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.strict_json import visible

MAX_ECHO_DEPTH = 40
"""Deeper parts of an echoed input are elided (bodies are refused beyond 32 levels anyway)."""
MAX_ECHO_INT_BITS = 4096
"""Larger integers are echoed as a note: printing one costs time, and Python caps it."""


SECRET = "[hidden]"
"""What an echoed input shows in place of a password."""


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 shape, ``{"detail": [{"type", "loc", "msg", "input"}]}``, made JSON-safe.

    Passwords are never echoed: an input under a ``password`` field, or a body
    that holds one, shows ``[hidden]`` in its place.
    """
    assert isinstance(exc, RequestValidationError)
    errors: Any = [_without_secrets(error) for error in exc.errors()]
    # An input jsonable_encoder cannot convert stays as it is: json_safe shows it as text.
    with contextlib.suppress(Exception):
        errors = jsonable_encoder(errors)
    return JSONResponse({"detail": json_safe(errors)}, status_code=422)


def _secret(key: Any) -> bool:
    return isinstance(key, str) and "password" in key.lower()


def _without_secrets(error: Any) -> Any:
    if not isinstance(error, dict):
        return error
    error = dict(error)
    if any(_secret(part) for part in error.get("loc", ())):
        error["input"] = SECRET
    elif "input" in error:
        error["input"] = _hide(error["input"])
    return error


def _hide(value: Any, depth: int = 0) -> Any:
    if depth > MAX_ECHO_DEPTH:
        return value
    if isinstance(value, dict):
        return {k: SECRET if _secret(k) else _hide(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide(item, depth + 1) for item in value]
    return value


def json_safe(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` that strict JSON can carry: finite numbers, valid text, plain containers.

    Non-finite floats become the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``;
    lone surrogates become ``\\udXXX`` escapes; keys become text; anything else
    becomes its ``str()``.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= MAX_ECHO_INT_BITS else "(integer too large to show)"
    if isinstance(value, float):
        return value if math.isfinite(value) else _non_finite(value)
    if isinstance(value, str):
        return visible(value)
    if depth >= MAX_ECHO_DEPTH:
        return "..."
    if isinstance(value, dict):
        return {_key(key): json_safe(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item, depth + 1) for item in value]
    return visible(_text(value))


def _non_finite(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _key(key: Any) -> str:
    # Keys are written as JSON would write them (True -> "true"), never as NaN.
    safe = json_safe(key, MAX_ECHO_DEPTH)
    return safe if isinstance(safe, str) else json.dumps(safe)


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # a broken __str__ must not take the 422 down with it
        return f"({type(value).__name__})"
