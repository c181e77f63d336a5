"""What is observed of each request: its id, database round trips, timing, log line.

``api.edge.Edge``, the one middleware every request passes, calls these.
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import TYPE_CHECKING

from starlette.types import Scope, Send

from storage.instrumentation import RoundTrips

if TYPE_CHECKING:
    pass

logger = logging.getLogger("api")
access_logger = logging.getLogger("api.access")

REQUEST_ID_HEADER = b"x-request-id"
# What a client-supplied id may look like: UUIDs, ULIDs, hex, base64, dotted or
# colon-separated trace ids. Anything else (spaces, quotes, control characters,
# over 128 characters) is replaced, so a log line or header can never be forged.
_VALID_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:+/=-]{1,128}")
UNMATCHED = "<unmatched>"
"""The route of a request no route matched: one label for every unknown path."""
_ERROR_BODY = json.dumps({"detail": "Internal server error"}).encode()


def request_id_from(value: bytes | None) -> str:
    """The client's ``X-Request-ID`` (``value``) if it is well-formed, else a new random one."""
    if value is not None and _VALID_REQUEST_ID.fullmatch(value):
        return value.decode("ascii")
    return os.urandom(16).hex()


def route_of(scope: Scope) -> str:
    """The matched route's template (``/users/{user_id}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def server_timing(tally: RoundTrips, total_seconds: float) -> bytes:
    """``db;dur=0.8;desc="1 round trip", total;dur=2.1`` (milliseconds, as the header wants)."""
    trips = f"{tally.count} round trip" + ("" if tally.count == 1 else "s")
    return (
        f'db;dur={tally.seconds * 1000:.2f};desc="{trips}", total;dur={total_seconds * 1000:.2f}'
    ).encode()


async def send_500(send: Send) -> None:
    """The JSON 500 for an error no handler answered."""
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_ERROR_BODY)).encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": _ERROR_BODY})


def log_request(scope: Scope, status: int, seconds: float, tally: RoundTrips | None) -> None:
    """The access log line of one request (its route template, never the raw path)."""
    method, route = scope["method"], route_of(scope)
    trips = tally.count if tally is not None else 0
    db_ms = round(tally.seconds * 1000, 2) if tally is not None else 0.0
    duration_ms = round(seconds * 1000, 2)
    client = scope.get("client")
    access_logger.info(
        "%s %s %s %.1fms db=%d/%.1fms",
        method,
        route,
        status,
        duration_ms,
        trips,
        db_ms,
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "db_round_trips": trips,
            "db_ms": db_ms,
            "client": client[0] if client else None,
        },
    )
