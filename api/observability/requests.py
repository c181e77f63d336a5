"""The middleware every request goes through: id, database round trips, timing, log line, metrics.

Pure ASGI (no ``BaseHTTPMiddleware``): it adds two context variables and a
wrapped ``send`` to a request, nothing else, so what it costs is what it does
(the benchmark's ``observability`` comparison measures it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from contextlib import AbstractContextManager, nullcontext
from time import perf_counter
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability.logs import REQUEST_ID
from storage.instrumentation import RoundTrips, measuring

if TYPE_CHECKING:
    from api.observability.metrics import Metrics

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


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's ``X-Request-ID`` if it is well-formed, else a new random one."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            if _VALID_REQUEST_ID.fullmatch(value):
                return value.decode("ascii")
            break
    return uuid.uuid4().hex


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


class RequestObservability:
    """ASGI middleware: request id, round trips, ``Server-Timing``, request log, metrics.

    Also the one place an unhandled exception is logged (with its traceback,
    once) and turned into a 500 ``{"detail": ...}``: it is not re-raised, so
    neither Starlette nor uvicorn logs it a second time.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        access_log: bool = True,
        server_timing: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.server_timing = server_timing
        self.metrics = metrics
        self.measure = access_log or server_timing or metrics is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        request_id = request_id_from(scope["headers"])
        id_token = REQUEST_ID.set(request_id)
        id_bytes = request_id.encode()
        status = 500
        response_started = False
        counting: AbstractContextManager[RoundTrips | None] = (
            measuring() if self.measure else nullcontext()
        )
        with counting as tally:

            async def send_with_headers(message: Message) -> None:
                nonlocal status, response_started
                if message["type"] == "http.response.start":
                    response_started = True
                    status = message["status"]
                    headers = [*message.get("headers", ()), (REQUEST_ID_HEADER, id_bytes)]
                    if self.server_timing and tally is not None:
                        timing = server_timing(tally, perf_counter() - started)
                        headers.append((b"server-timing", timing))
                    message = {**message, "headers": headers}
                await send(message)

            if self.metrics is not None:
                self.metrics.in_flight.inc()
            try:
                await self.app(scope, receive, send_with_headers)
            except asyncio.CancelledError:
                status = 499  # nginx's "client closed request": nobody got an answer
                raise
            except Exception as exc:
                logger.error(
                    "unhandled error on %s %s", scope["method"], route_of(scope), exc_info=exc
                )
                if not response_started:
                    await _send_500(send_with_headers)
            finally:
                seconds = perf_counter() - started
                if self.metrics is not None:
                    self.metrics.in_flight.dec()
                    self.metrics.observe(scope["method"], route_of(scope), status, seconds)
                if self.access_log:
                    _log_request(scope, status, seconds, tally)
                REQUEST_ID.reset(id_token)


async def _send_500(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_ERROR_BODY)).encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": _ERROR_BODY})


def _log_request(scope: Scope, status: int, seconds: float, tally: RoundTrips | None) -> None:
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
