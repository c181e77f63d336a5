"""Does the client prefer HTML to JSON? Read from the ``Accept`` header (RFC 9110)."""

from __future__ import annotations

import re

from fastapi import Request

# RFC 9110 12.4.2: a weight is 0 to 1 with at most three decimals. Anything else
# ("NaN", "inf", "1e999", "-1") is malformed and weighs 0, so it never prefers HTML.
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


def _ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                quality = float(value) if _QVALUE.fullmatch(value) else 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def quality(header: str, media_type: str) -> float:
    """The weight ``header`` gives ``media_type``: that of the most specific range matching it."""
    kind = media_type.split("/")[0]
    best, specificity = 0.0, -1
    for media, weight in _ranges(header):
        if media == media_type:
            rank = 2
        elif media == f"{kind}/*":
            rank = 1
        elif media == "*/*":
            rank = 0
        else:
            continue
        if rank > specificity:
            best, specificity = weight, rank
    return best


def prefers_html(request: Request) -> bool:
    """True when ``text/html`` weighs more than ``application/json`` (ties go to JSON)."""
    header = request.headers.get("accept", "")
    html = quality(header, "text/html")
    return html > 0 and html > quality(header, "application/json")
