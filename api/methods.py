"""Which methods a path takes, decided the way the OpenAPI document reads; HEAD for every GET.

Starlette answers a method a path does not take with the ``Allow`` list of the
first route whose path matched, which is one of several routes sharing that
path (``GET /users/{id}``, ``PATCH ...``, ``DELETE ...``). And a method a
concrete path lacks (``PATCH /users/search``) falls through to a templated path
that has it (``PATCH /users/{user_id}``), which then fails on ``"search"`` as
an id. OpenAPI's rule is that a concrete path is matched before a templated
one. ``MethodTable`` applies it: it finds the documented path a request is for,
and if that path does not take the method, ``api.edge.Edge`` answers 405
listing exactly the methods it does take.

HEAD is answered wherever GET is (RFC 9110 9.3.2): the same status and
headers, no body. The document lists it beside each GET (``api.openapi``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import Send

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_PARAMETER = re.compile(r"\{[^}/]+\}")


@dataclass(frozen=True)
class DocumentedPath:
    """One path of the OpenAPI document and the methods it takes."""

    template: str
    pattern: re.Pattern[str]
    parameters: int
    allow: tuple[str, ...]

    @classmethod
    def compile(cls, template: str, operations: Mapping[str, Any]) -> DocumentedPath:
        """``/users/{user_id}`` matches one non-empty segment where the parameter is.

        ``allow`` is the documented methods, no more.
        """
        literals = _PARAMETER.split(template)
        pattern = "[^/]+".join(re.escape(literal) for literal in literals)
        allow = tuple(key.upper() for key in operations if key in HTTP_METHODS)
        return cls(template, re.compile(f"^{pattern}$"), len(literals) - 1, allow)


def documented_paths(openapi_paths: Mapping[str, Mapping[str, Any]]) -> list[DocumentedPath]:
    """The document's paths, concrete ones first, then by fewer parameters."""
    paths = [DocumentedPath.compile(path, operations) for path, operations in openapi_paths.items()]
    return sorted(paths, key=lambda path: path.parameters)


def _first_segment(path: str) -> str:
    return path[1:].partition("/")[0]


class MethodTable:
    """The documented paths as one regular expression per first segment: one match a lookup."""

    def __init__(self, openapi_paths: Mapping[str, Mapping[str, Any]]) -> None:
        own: dict[str, list[DocumentedPath]] = {}
        templated_first: list[DocumentedPath] = []
        for path in documented_paths(openapi_paths):
            segment = _first_segment(path.template)
            if _PARAMETER.search(segment):
                templated_first.append(path)
            else:
                own.setdefault(segment, []).append(path)
        # A path whose first segment is a parameter could match any first segment.
        self._by_segment = {
            segment: _Alternatives([*paths, *templated_first]) for segment, paths in own.items()
        }
        self._otherwise = _Alternatives(templated_first)

    def allow(self, path: str) -> tuple[str, ...] | None:
        """The methods ``path`` takes, or None if no documented path matches it."""
        return self._by_segment.get(_first_segment(path), self._otherwise).allow(path)


class _Alternatives:
    """Documented paths tried in order, as the alternatives of one regular expression."""

    def __init__(self, paths: list[DocumentedPath]) -> None:
        self._allow = {f"p{index}": path.allow for index, path in enumerate(paths)}
        pattern = "|".join(
            f"(?P<p{index}>{path.pattern.pattern})" for index, path in enumerate(paths)
        )
        self._pattern = re.compile(pattern) if paths else None

    def allow(self, path: str) -> tuple[str, ...] | None:
        found = self._pattern.match(path) if self._pattern is not None else None
        return None if found is None else self._allow[found.lastgroup or ""]


async def refuse(send: Send, allow: tuple[str, ...]) -> None:
    """Send the 405 that lists the methods the path takes."""
    body = json.dumps({"detail": "Method Not Allowed"}, separators=(",", ":")).encode()
    headers = [
        (b"allow", ", ".join(allow).encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 405, "headers": headers})
    await send({"type": "http.response.body", "body": body})
