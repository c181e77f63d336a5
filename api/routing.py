"""The router class of every router here: one that tells at once a path is not its own.

FastAPI tries a request on each included router in turn, and an included
router tries each of its routes (a regular expression and some bookkeeping
per route) before it says no. With a dozen routers of a dozen routes, finding
``GET /users/{id}`` cost more than the rest of the request. ``Router`` first
compares the path with the literal beginnings of its routes (``/users``,
``/p/``...): a path none of them begins is refused in one string comparison,
and only the router the path belongs to tries its routes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.routing import Match
from starlette.types import Scope


def route_path(scope: Scope) -> str:
    """The path routes match: without the root path a proxy may have mounted us under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def literal_beginnings(paths: list[str]) -> tuple[str, ...]:
    """What every one of ``paths`` begins with before its first parameter.

    ``("/users", "/users/{id}")`` gives ``("/users", "/users/")``; a path that
    begins with a parameter gives ``""``, which every path begins with.
    """
    return tuple(sorted({path.partition("{")[0] for path in paths}))


class Router(APIRouter):
    """An ``APIRouter`` that refuses, before trying its routes, a path none of them can match."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._beginnings: tuple[str, ...] = ()
        self._known_routes = -1

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """``Match.NONE`` at once for a path outside this router; else FastAPI's own matching."""
        if len(self.routes) != self._known_routes:  # routes are added before serving
            self._beginnings = literal_beginnings([getattr(r, "path", "") for r in self.routes])
            self._known_routes = len(self.routes)
        if not route_path(scope).startswith(self._beginnings):
            return Match.NONE, {}
        return super().matches(scope)
