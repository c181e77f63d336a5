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
    """The documented paths, indexed by their first segment so a lookup tries a handful."""

    def __init__(self, openapi_paths: Mapping[str, Mapping[str, Any]]) -> None:
        self._by_segment: dict[str, list[DocumentedPath]] = {}
        templated_first: list[DocumentedPath] = []
        for path in documented_paths(openapi_paths):
            segment = _first_segment(path.template)
            if _PARAMETER.search(segment):
                templated_first.append(path)
            else:
                self._by_segment.setdefault(segment, []).append(path)
        # A path whose first segment is a parameter could match any first segment.
        for paths in self._by_segment.values():
            paths.extend(templated_first)
        self._templated_first = templated_first

    def allow(self, path: str) -> tuple[str, ...] | None:
        """The methods ``path`` takes, or None if no documented path matches it."""
        candidates = self._by_segment.get(_first_segment(path), self._templated_first)
        for documented in candidates:
            if documented.pattern.match(path):
                return documented.allow
        return None


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
