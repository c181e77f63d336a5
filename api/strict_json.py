"""Request bodies parsed as strict JSON: what the service could not echo or store is refused.

Python's ``json`` module reads ``NaN`` and ``Infinity``, turns ``1e400`` into
``inf``, keeps a lone UTF-16 surrogate (``"\\ud800"``) as text, guesses UTF-16
from the first bytes and nests as deep as the client likes. None of that can be
written back as JSON, so a validation error echoing such a value failed with a
500 (and uvicorn closed the keep-alive connection). Here each of them is a 422
in FastAPI's validation shape, ``loc`` pointing at the offending value.

Syntax errors are left to ``json.loads``: they raise ``JSONDecodeError``, which
FastAPI already answers with its own 422 (``json_invalid`` at a character offset).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NamedTuple

from fastapi import HTTPException

MAX_DEPTH = 32
"""Objects and arrays nested deeper than this are refused; every body of this API is flat."""
MAX_NUMBER_LENGTH = 100
"""Longer number literals are refused: far beyond any value the API takes, cheap to refuse."""

_SURROGATE = re.compile("[\ud800-\udfff]")
Path = tuple[str | int, ...]


class _Unusable(NamedTuple):
    """A number ``json.loads`` met that has no JSON-safe value; the walk reports where."""

    literal: str
    problem: str


class JSONRefused(HTTPException):
    """A 422 in FastAPI's validation-error shape for JSON that parses but cannot be used.

    An ``HTTPException`` because FastAPI's body reader passes those through as
    they are (any other exception from parsing, but ``JSONDecodeError``, it
    turns into a generic 400), and its handler renders ``detail`` unchanged.
    """

    def __init__(self, path: Path, message: str, given: str | None = None) -> None:
        error: dict[str, Any] = {"type": "json_invalid", "loc": ["body", *path], "msg": message}
        if given is not None:
            error["input"] = given
        super().__init__(status_code=422, detail=[error])


def parse_json(body: bytes) -> Any:
    """Parse a request body as UTF-8 JSON, refusing values the service cannot echo.

    Raises ``JSONDecodeError`` for a syntax error and ``JSONRefused`` for invalid
    UTF-8, ``NaN``/``Infinity``, numbers out of range or absurdly long, lone
    surrogates in keys or strings, and nesting deeper than ``MAX_DEPTH``.
    """
    try:
        # JSON between systems is UTF-8 (RFC 8259); a byte order mark is tolerated.
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"The body is not valid UTF-8 (byte {exc.start}); send JSON encoded as UTF-8"
        raise JSONRefused((), message) from None
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except RecursionError:
        # json's C scanner gives up long before the stack does; a depth error all the same.
        raise JSONRefused((), _too_deep()) from None
    _check(value, (), 0)
    return value


def _constant(literal: str) -> _Unusable:
    return _Unusable(literal, "is not a JSON number; send a finite number")


def _float(literal: str) -> float | _Unusable:
    if len(literal) > MAX_NUMBER_LENGTH:
        return _too_long(literal)
    number = float(literal)
    if not math.isfinite(number):
        return _Unusable(literal, "is out of range; send a finite number")
    return number


def _int(literal: str) -> int | _Unusable:
    # Checked before int(): beyond 4300 digits int() raises a ValueError of its own.
    if len(literal) > MAX_NUMBER_LENGTH:
        return _too_long(literal)
    return int(literal)


def _too_long(literal: str) -> _Unusable:
    return _Unusable(
        f"{literal[:20]}...", f"has {len(literal)} characters; at most {MAX_NUMBER_LENGTH} here"
    )


def _too_deep() -> str:
    return f"Nested deeper than {MAX_DEPTH} levels; the bodies of this API are flat objects"


def _check(value: Any, path: Path, depth: int) -> None:
    """Walk the parsed value; raise ``JSONRefused`` at the first thing that cannot be used."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise JSONRefused(path, _surrogate_message("Text"), visible(value))
    elif isinstance(value, _Unusable):
        raise JSONRefused(path, f"The number {value.literal} {value.problem}", value.literal)
    elif isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            raise JSONRefused(path, _too_deep())
        members = value.items() if isinstance(value, dict) else enumerate(value)
        for key, member in members:
            if isinstance(key, str) and _SURROGATE.search(key):
                raise JSONRefused((*path, visible(key)), _surrogate_message("A key"), visible(key))
            _check(member, (*path, key), depth + 1)


def _surrogate_message(what: str) -> str:
    return (
        f"{what} contains a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair), "
        "which is not a Unicode character; send valid text"
    )


def visible(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udXXX`` escapes, so it encodes as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
