"""How requests find their route cheaply.

FastAPI (0.165) keeps an included router as one entry of the app's routes and
matches a request against it twice: once to choose it, once more inside it to
choose the route, with some bookkeeping per route tried each time. For the
JSON API, whose requests are the ones the service exists to answer fast,
``add_routes`` puts the routers' routes in the app's own list instead (as
``include_router`` used to): each is tried once. Their routers carry no
per-inclusion settings (prefix, tags and responses are the routers' own), so
nothing is lost; ``app.dependency_overrides`` do not reach them (the tests
run the real dependencies and override nothing).

The pages' routers stay included, after the API's routes, and ``Router``
refuses a path none of its routes begins (``/p/``, ``/shop``...) in one
string comparison before FastAPI tries its routes one by one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
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


def add_routes(app: FastAPI, *routers: APIRouter) -> None:
    """Append every route of ``routers`` to ``app``'s own routes, in order (see the module)."""
    for router in routers:
        app.router.routes.extend(router.routes)
