"""Refuse request bodies above a size limit before anything reads them into memory.

FastAPI's own ``max_body_size`` answers a declared oversize body with a plain
text "Content Too Large"; this keeps the API's ``{"detail": ...}`` shape and
says what the limit is. An upload route may take more (``Allowance``: a
picture upload takes ``PICTURE_MAX_BYTES`` plus the multipart framing) while
every other route keeps ``MAX_BODY_BYTES``. A body refused by its declared
length is answered before any route takes it, so whoever installs the limit
may answer people with a page instead (``refusal``: the pages' 413).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fastapi import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Refusal = Callable[[Scope, str], Response | None]
"""Another answer to a refused request (its scope, the message), or None for the JSON one."""


@dataclass(frozen=True)
class Allowance:
    """A limit of its own for the bodies of one route (an upload), and what its 413 says."""

    method: str
    path: re.Pattern[str]
    """Matched against the whole request path."""
    max_bytes: int
    message: str


class BodySizeLimit:
    """ASGI middleware: a body over ``max_bytes`` gets 413, whether announced or streamed."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        allowances: Sequence[Allowance] = (),
        refusal: Refusal | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.allowances = tuple(allowances)
        self.refusal = refusal

    def _limit(self, scope: Scope) -> tuple[int, str]:
        """The largest body this request may send, and what a 413 says."""
        for allowance in self.allowances:
            if scope["method"] == allowance.method and allowance.path.fullmatch(scope["path"]):
                return allowance.max_bytes, allowance.message
        return self.max_bytes, f"Request body too large: the limit is {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, refusal = self._limit(scope)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > max_bytes:
            page = self.refusal(scope, refusal) if self.refusal else None
            if page is not None:
                page.headers["connection"] = "close"
                await page(scope, receive, send)
                return
            await self._refuse(send, refusal)
            return

        received = 0

        async def counting_receive() -> Message:
            # A body without Content-Length (chunked) is counted as it streams;
            # FastAPI turns this HTTPException into the same 413 response.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise HTTPException(status_code=413, detail=refusal)
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, send: Send, message: str) -> None:
        body = json.dumps({"detail": message}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
