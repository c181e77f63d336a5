"""Refuse request bodies above a size limit before anything reads them into memory.

FastAPI's own ``max_body_size`` answers a declared oversize body with a plain
text "Content Too Large"; these keep the API's ``{"detail": ...}`` shape and
say what the limit is. An upload route may take more (``Allowance``: a
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
from starlette.types import Message, Receive, Scope, Send

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


class BodyLimits:
    """How large a request body may be, per route: ``api.edge.Edge`` applies it.

    A body announced over the limit (``Content-Length``) is refused before any
    route runs; one streamed past it (chunked) is refused as it arrives.
    """

    def __init__(self, max_bytes: int, allowances: Sequence[Allowance] = ()) -> None:
        self.max_bytes = max_bytes
        self.allowances = tuple(allowances)
        self._default = f"Request body too large: the limit is {max_bytes} bytes"

    def limit_for(self, method: str, path: str) -> tuple[int, str]:
        """The largest body a request may send, and what its 413 says."""
        for allowance in self.allowances:
            if method == allowance.method and allowance.path.fullmatch(path):
                return allowance.max_bytes, allowance.message
        return self.max_bytes, self._default


def counting(receive: Receive, max_bytes: int, message: str) -> Receive:
    """``receive`` that raises a 413 once more than ``max_bytes`` of body have arrived.

    FastAPI turns the ``HTTPException`` into the same 413 a declared length gets.
    """
    received = 0

    async def counting_receive() -> Message:
        nonlocal received
        event = await receive()
        if event["type"] == "http.request":
            received += len(event.get("body", b""))
            if received > max_bytes:
                raise HTTPException(status_code=413, detail=message)
        return event

    return counting_receive


async def refuse(send: Send, message: str) -> None:
    """Send the JSON 413 for a body refused before routing (the connection is closed)."""
    body = json.dumps({"detail": message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
