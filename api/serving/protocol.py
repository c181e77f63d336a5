"""uvicorn's HTTP/1.1 protocol (httptools) with a deadline and a size cap on the request head.

uvicorn 0.54 bounds neither: its keep-alive timer runs only *after* a response
(so a connection that never sends a byte stays open for ever) and any byte
cancels it (so a head sent at 1 byte/s keeps the connection, and a worker's
connection slot, for as long as the client likes: slowloris). Here every
connection must complete a request head within ``timeout_request_headers``
seconds of becoming ready for one (opened, or done with its last response),
and the head may not exceed ``MAX_HEAD_BYTES``.

The timer is armed once per request, not per byte, so a trickle cannot push it
back. A connection that sent nothing is closed silently (as an idle keep-alive
one is); one that sent part of a head gets ``408`` (or ``431``) first.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

logger = logging.getLogger("api.serving")

MAX_HEAD_BYTES = 64 * 1024
"""Request line plus headers; browsers and proxies stay far below (nginx's default is 8-32 KiB)."""
DEFAULT_HEAD_SECONDS = 10


class ServerConfig(Config):
    """uvicorn's ``Config`` plus the request-head deadline ``GuardedProtocol`` reads."""

    def __init__(
        self, app: Any, *, timeout_request_headers: int = DEFAULT_HEAD_SECONDS, **kwargs: Any
    ) -> None:
        super().__init__(app, **kwargs)
        self.timeout_request_headers = timeout_request_headers


def _response(status: bytes, detail: str) -> bytes:
    body = json.dumps({"detail": detail}).encode()
    head = (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n"
    )
    return head + body


TIMED_OUT = _response(b"408 Request Timeout", "Request head not received in time")
TOO_LARGE = _response(b"431 Request Header Fields Too Large", "Request head too large")


class GuardedProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with a request-head deadline and size cap, and one-last-request mode.

    ``last_request``: answer the request this connection brings, then close it.
    A stopping server sets it on connections that have not sent a request yet
    (uvicorn would close them unanswered, although their request may already
    be on its way) and on those it adopts from the kernel's accept queue.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.head_seconds: float = getattr(config, "timeout_request_headers", DEFAULT_HEAD_SECONDS)
        self.head_timer: asyncio.TimerHandle | None = None
        self.waiting_for_head = False
        self.head_bytes = 0
        self.last_request = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.waiting_for_head:
            self.head_bytes += len(data)
        super().data_received(data)
        # Still no complete head after this chunk: the bytes so far were all head.
        if self.waiting_for_head and self.head_bytes > MAX_HEAD_BYTES:
            self._refuse(TOO_LARGE)

    def on_headers_complete(self) -> None:
        self.waiting_for_head = False
        self._cancel_head_timer()
        super().on_headers_complete()
        if self.last_request and self.cycle is not None:
            self.cycle.keep_alive = False

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # uvicorn armed its keep-alive timer: the connection now waits for a new request.
        if self.timeout_keep_alive_task is not None:
            self._await_head()

    def shutdown(self) -> None:
        """Server stopping: finish what is under way; answer a connection's first request."""
        if self.cycle is None and not self.transport.is_closing():
            # Accepted, nothing answered yet: its request may be in flight, and a
            # client may not retry one sent on a fresh connection. The head
            # deadline still bounds how long it can hold the stop.
            self.last_request = True
            return
        super().shutdown()

    def _await_head(self) -> None:
        self._cancel_head_timer()
        self.waiting_for_head = True
        self.head_bytes = 0
        self.head_timer = self.loop.call_later(self.head_seconds, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self.head_bytes:
            logger.debug("closing a connection whose request head is incomplete")
            self._refuse(TIMED_OUT)
        else:
            self.transport.close()

    def _refuse(self, response: bytes) -> None:
        self._cancel_head_timer()
        self.waiting_for_head = False
        self.transport.write(response)
        self.transport.close()
