"""The one middleware every request passes through, once.

Each concern keeps its own module; this is where they run, in one pass over
the request instead of one middleware (one wrapped ``send``, one more frame
per call) each:

1. observation (``api.observability``): request id, database round trips,
   ``Server-Timing``, the access log line, metrics; the one place an
   unhandled error is logged (once, with its traceback) and answered 500;
2. methods (``api.methods``): a method the documented path does not take is
   a 405 with the full ``Allow`` list; HEAD is served as GET without a body;
3. body limits (``api.limits``): a body over its route's limit is a 413,
   announced or streamed;
4. conditional reads (``api.conditional``): a GET whose ``If-None-Match``
   names the ETag of the 200 it would get is answered 304 without the body.

Pages may answer people instead of JSON where no route has answered yet
(the 413 of a form, the 500 of a page that broke): ``refusal`` and ``crash``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import conditional, limits, methods
from api.limits import BodyLimits, Refusal
from api.methods import MethodTable
from api.observability.logs import REQUEST_ID
from api.observability.requests import (
    REQUEST_ID_HEADER,
    log_request,
    request_id_from,
    route_of,
    send_500,
    server_timing,
)
from api.routing import route_path
from storage import instrumentation

if TYPE_CHECKING:
    from api.observability.metrics import Metrics

logger = logging.getLogger("api")

Crash = Callable[[Scope], Response | None]
"""Another answer to a request whose handler raised (a page), or None for the JSON 500."""


class Edge:
    """ASGI middleware: observation, methods and body limits, in one pass (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        methods: Callable[[], MethodTable],
        limits: BodyLimits,
        access_log: bool = True,
        server_timing: bool = True,
        metrics: Metrics | None = None,
        refusal: Refusal | None = None,
        crash: Crash | None = None,
    ) -> None:
        self.app = app
        self._method_table = methods
        self._methods: MethodTable | None = None
        self.limits = limits
        self.access_log = access_log
        self.server_timing = server_timing
        self.metrics = metrics
        self.measure = access_log or server_timing or metrics is not None
        self.refusal = refusal
        self.crash = crash

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        request_id, length, chunked, if_none_match = _read_headers(scope["headers"])
        id_token = REQUEST_ID.set(request_id)
        tally, tally_token = instrumentation.begin() if self.measure else (None, None)
        method = scope["method"]
        inner = {**scope, "method": "GET"} if method == "HEAD" else scope
        status = 500
        response_started = False
        no_body = method == "HEAD"  # HEAD: GET's status and headers only

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started, no_body
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id.encode())]
                if if_none_match is not None and status == 200 and inner["method"] == "GET":
                    unchanged = conditional.not_modified(headers, if_none_match)
                    if unchanged is not None:
                        status, headers, no_body = 304, unchanged, True
                if self.server_timing and tally is not None:
                    timing = server_timing(tally, perf_counter() - started)
                    headers.append((b"server-timing", timing))
                message = {**message, "status": status, "headers": headers}
            elif no_body and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        if self.metrics is not None:
            self.metrics.in_flight.inc()
        try:
            await self._handle(inner, receive, send_with_headers, length, chunked)
        except asyncio.CancelledError:
            status = 499  # nginx's "client closed request": nobody got an answer
            raise
        except Exception as exc:
            logger.error("unhandled error on %s %s", method, route_of(inner), exc_info=exc)
            if not response_started:
                page = self.crash(inner) if self.crash is not None else None
                if page is not None:
                    await page(inner, receive, send_with_headers)
                else:
                    await send_500(send_with_headers)
        finally:
            seconds = perf_counter() - started
            if tally is not None and tally_token is not None:
                instrumentation.end(tally, tally_token)
            if self.metrics is not None:
                self.metrics.in_flight.dec()
                self.metrics.observe(method, route_of(inner), status, seconds)
            if self.access_log:
                log_request(inner, status, seconds, tally)
            REQUEST_ID.reset(id_token)

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, length: int | None, chunked: bool
    ) -> None:
        """Methods, then body limits, then the app."""
        path = route_path(scope)
        if self._methods is None:  # the routes are all known by the first request
            self._methods = self._method_table()
        allow = self._methods.allow(path)
        if allow is not None and scope["method"] not in allow:
            await methods.refuse(send, allow)
            return
        if length or chunked:
            max_bytes, message = self.limits.limit_for(scope["method"], scope["path"])
            if length is not None and length > max_bytes:
                page = self.refusal(scope, message) if self.refusal is not None else None
                if page is not None:
                    page.headers["connection"] = "close"
                    await page(scope, receive, send)
                else:
                    await limits.refuse(send, message)
                return
            receive = limits.counting(receive, max_bytes, message)
        await self.app(scope, receive, send)


def _read_headers(
    headers: list[tuple[bytes, bytes]],
) -> tuple[str, int | None, bool, bytes | None]:
    """The request id, declared body length, whether chunked, and If-None-Match: one scan."""
    given_id: bytes | None = None
    length: int | None = None
    chunked = False
    if_none_match: bytes | None = None
    for name, value in headers:
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = True
        elif name == REQUEST_ID_HEADER and given_id is None:
            given_id = value
        elif name == b"if-none-match":
            if_none_match = value if if_none_match is None else if_none_match + b"," + value
    return request_id_from(given_id), length, chunked, if_none_match
