"""The baseline's ASGI app: routing by hand, one driver behind it, the lifespan opening it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol
from urllib.parse import parse_qsl

from bench.baseline.params import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_SKIP,
    ProductSearch,
    integer,
    product_search,
)
from bench.baseline.shapes import Json, encode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Reads(Protocol):
    """The reads on one database, opened and closed by the ASGI lifespan."""

    async def open(self) -> None:
        """Connect (a pool, or one connection)."""

    async def close(self) -> None:
        """Disconnect."""

    async def user(self, user_id: int) -> Json | None:
        """The user with ``user_id`` as JSON-ready data, or None."""

    async def posts(self, skip: int, limit: int) -> Json:
        """A page of posts as JSON-ready data."""

    async def products(self, search: ProductSearch) -> Json:
        """A page of the products ``search`` finds, as JSON-ready data."""


NOT_FOUND = (404, {"detail": "Not Found"})
USER_NOT_FOUND = (404, {"detail": "User not found"})


def _params(scope: Scope) -> dict[str, str]:
    return dict(parse_qsl(scope["query_string"].decode("latin-1")))


async def _route(reads: Reads, scope: Scope) -> tuple[int, Json]:
    """Status and body for one request."""
    if scope["method"] != "GET":
        return NOT_FOUND
    path: str = scope["path"]
    if path.startswith("/users/"):
        try:
            user_id = integer(path[len("/users/") :], 0, 1, MAX_ID)
        except ValueError:  # not an id: the API says 422, this app knows no such route
            return NOT_FOUND
        user = await reads.user(user_id)
        return (200, user) if user is not None else USER_NOT_FOUND
    if path == "/posts":
        params = _params(scope)
        try:
            limit = integer(params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
            skip = integer(params.get("skip"), 0, 0, MAX_SKIP)
        except ValueError:
            return 422, {"detail": f"limit must be 1-{MAX_LIMIT}, skip 0-{MAX_SKIP}"}
        return 200, await reads.posts(skip, limit)
    if path == "/products":
        try:
            search = product_search(_params(scope))
        except ValueError as exc:
            return 422, {"detail": str(exc)}
        return 200, await reads.products(search)
    return NOT_FOUND


async def _lifespan(reads: Reads, receive: Receive, send: Send) -> None:
    """Open the driver on ``lifespan.startup``, close it on ``lifespan.shutdown``."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await reads.open()
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await reads.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


def baseline_app(reads: Reads) -> ASGIApp:
    """The ASGI app serving ``reads``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(reads, receive, send)
            return
        if scope["type"] != "http":
            return  # websockets: not served
        status, payload = await _route(reads, scope)
        body = encode(payload).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app
