"""405 Method Not Allowed, decided the way the OpenAPI document reads.

Starlette answers a method a path does not take with the ``Allow`` list of the
first route whose path matched, which is one of several routes sharing that
path (``GET /users/{id}``, ``PATCH ...``, ``DELETE ...``). And a method a
concrete path lacks (``PATCH /users/search``) falls through to a templated path
that has it (``PATCH /users/{user_id}``), which then fails on ``"search"`` as
an id. OpenAPI's rule is that a concrete path is matched before a templated
one. This middleware applies it: it finds the documented path a request is for,
and if that path does not take the method, answers 405 listing exactly the
methods it does take. Everything else goes on to the router unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_PARAMETER = re.compile(r"\{[^}/]+\}")


@dataclass(frozen=True)
class DocumentedPath:
    """One path of the OpenAPI document and the methods it takes."""

    pattern: re.Pattern[str]
    parameters: int
    allow: tuple[str, ...]

    @classmethod
    def compile(cls, template: str, operations: Mapping[str, Any]) -> DocumentedPath:
        """``/users/{user_id}`` matches one non-empty segment where the parameter is.

        ``allow`` is the documented methods, no more: FastAPI's routes answer
        HEAD only where it is declared, so it is not added for GET.
        """
        literals = _PARAMETER.split(template)
        pattern = "[^/]+".join(re.escape(literal) for literal in literals)
        allow = tuple(key.upper() for key in operations if key in HTTP_METHODS)
        return cls(re.compile(f"^{pattern}$"), len(literals) - 1, allow)


def documented_paths(openapi_paths: Mapping[str, Mapping[str, Any]]) -> list[DocumentedPath]:
    """The document's paths, concrete ones first, then by fewer parameters."""
    paths = [DocumentedPath.compile(path, operations) for path, operations in openapi_paths.items()]
    return sorted(paths, key=lambda path: path.parameters)


class MethodNotAllowed:
    """ASGI middleware: a documented path with a method it does not take gets a full 405."""

    def __init__(
        self, app: ASGIApp, openapi_paths: Callable[[], Mapping[str, Mapping[str, Any]]]
    ) -> None:
        self.app = app
        self._openapi_paths = openapi_paths
        self._paths: list[DocumentedPath] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self._paths is None:  # the routes are all known by the first request
                self._paths = documented_paths(self._openapi_paths())
            path = _route_path(scope)
            documented = next((p for p in self._paths if p.pattern.match(path)), None)
            if documented is not None and scope["method"] not in documented.allow:
                await _refuse(send, documented.allow)
                return
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    # The path the router matches: without the root path a proxy may have mounted us under.
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _refuse(send: Send, allow: tuple[str, ...]) -> None:
    body = json.dumps({"detail": "Method Not Allowed"}, separators=(",", ":")).encode()
    headers = [
        (b"allow", ", ".join(allow).encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 405, "headers": headers})
    await send({"type": "http.response.body", "body": body})
