"""Keyset pagination for every list: signed, opaque cursors in and out.

A page's ``next_cursor`` holds the sort value and id of its last item, the
list it belongs to (path, sort and filters), and an HMAC of all that under
the service's secret. Passed back as ``after=``, it becomes the ``Position``
the store starts from (``storage.types.Position``). A cursor that was altered,
signed with another key, or taken from another list (another path, sort or
filter) is a 422, like any other invalid parameter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from storage.types import Page, Position
from storage.types.common import ListQuery

_PAGING = {"skip", "limit", "after", "count"}


def _encode_value(value: Any) -> list[Any]:
    # JSON keeps str, int and bool; datetimes and decimals travel as text, tagged.
    if isinstance(value, datetime):
        return ["datetime", value.isoformat()]
    if isinstance(value, Decimal):
        return ["decimal", str(value)]
    return ["plain", value]


def _decode_value(tagged: Any) -> Any:
    kind, value = tagged
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "plain" and (value is None or isinstance(value, str | int | float | bool)):
        return value
    raise ValueError(f"unknown cursor value kind {kind!r}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Cursors:
    """Makes and reads the cursors of one service (one secret key)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _list_of(self, path: str, query: ListQuery) -> str:
        """What identifies a list: its path, order and filters (not where a page starts)."""
        described = query.model_dump(mode="json", exclude=_PAGING)
        text = json.dumps([path, described], sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def encode(self, path: str, query: ListQuery, item: Any) -> str:
        """The cursor that continues ``query``'s list after ``item``."""
        # Items break ties by id; tags, which have none, by their unique name.
        tiebreak = getattr(item, "id", None) or getattr(item, "name", None)
        payload = json.dumps(
            {
                "l": self._list_of(path, query),
                "v": _encode_value(getattr(item, query.sort_key.field)),
                "i": tiebreak,
            },
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, path: str, query: ListQuery) -> Position | None:
        """The position ``query.after`` names, or None; 422 if it is not this list's cursor."""
        if query.after is None:
            return None
        try:
            body, _, signature = query.after.partition(".")
            payload = _unb64(body)
            if not hmac.compare_digest(self._sign(payload), _unb64(signature)):
                raise ValueError("signature")
            data = json.loads(payload)
            if data["l"] != self._list_of(path, query):
                raise _invalid(query.after, "this cursor belongs to another list, order or filter")
            return Position(_decode_value(data["v"]), data["i"])
        except RequestValidationError:
            raise
        except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
            raise _invalid(query.after, "not a cursor this service issued") from None

    async def page[T, Q: ListQuery](
        self,
        request: Request,
        query: Q,
        fetch: Callable[[Q], Awaitable[Page[T]]],
    ) -> Page[T]:
        """Run ``fetch`` from the position ``after`` names; give the page its ``next_cursor``."""
        path = request.url.path
        page = await fetch(query.starting_at(self.decode(path, query)))
        if page.more and page.items:
            last = page.items[-1]
            assert isinstance(last, BaseModel)
            page.next_cursor = self.encode(path, query, last)
        return page


def _invalid(value: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("query", "after"),
                "msg": f"Value error, {message}: take next_cursor from the previous page",
                "input": value,
            }
        ]
    )


async def get_cursors(request: Request) -> Cursors:
    """The cursor codec built at start-up (see ``api.main``)."""
    cursors: Cursors = request.app.state.cursors
    return cursors


CursorsDep = Annotated[Cursors, Depends(get_cursors)]
