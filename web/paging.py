"""Next and previous links over the API's keyset cursors.

A cursor only goes forward, so each link also carries the cursors of the
pages before it (``back``, the last ``BACK_MAX``); "previous" pops one. The
first page is ``FIRST`` in that trail (empty query values are dropped).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

from storage.types import Page

BACK_MAX = 20
FIRST = "0"
PAGE_SIZE = 10


@dataclass(frozen=True)
class Links:
    """Where the next and previous pages are (None: there is none)."""

    next: str | None
    previous: str | None


def after_of(request: Request) -> str | None:
    """The cursor this page starts after, if any."""
    after = request.query_params.get("after")
    return after if after and after != FIRST else None


def links[T](request: Request, page: Page[T], keep: dict[str, str] | None = None) -> Links:
    """The links around ``page``; ``keep`` holds the filters every link repeats."""
    base = {key: value for key, value in (keep or {}).items() if value}
    after = after_of(request)
    back = [item for item in request.query_params.getlist("back") if item][-BACK_MAX:]
    path = request.url.path
    following = None
    if page.next_cursor:
        trail = [*back, after or FIRST][-BACK_MAX:]
        following = f"{path}?{urlencode({**base, 'after': page.next_cursor, 'back': trail}, True)}"
    previous = None
    if after is not None:
        target = back[-1] if back else FIRST
        query = {**base, "back": back[:-1]}
        if target != FIRST:
            query["after"] = target
        encoded = urlencode(query, True)
        previous = f"{path}?{encoded}" if encoded else path
    return Links(following, previous)
