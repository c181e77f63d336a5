"""Conditional requests: ETags out, ``If-Match`` and ``If-None-Match`` in.

Every single-resource response carries an ``ETag`` (``Resource.etag``: the
record's version, and its embedded record's for posts and products). A write
with ``If-Match`` passes it to the store, which compares it inside the write
itself (412 when stale). A read with ``If-None-Match`` naming the current tag
gets 304 without a body: ``api.edge.Edge`` decides it for every GET from the
response's own ETag (``not_modified``), so routes only tag what they return,
and a 404 (a record hidden from the caller) never becomes a 304.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

from storage.types.common import Resource

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description="Apply only if the resource's ETag is still this one (else 412).",
    ),
]


def tagged[R: Resource](resource: R, response: Response) -> R:
    """Put the resource's ETag on the response; return the resource."""
    response.headers["ETag"] = resource.etag()
    return resource


# What a 304 keeps of the 200 it stands for (RFC 9110 15.4.5), besides our own headers.
_KEPT_BY_304 = frozenset(
    {b"etag", b"vary", b"cache-control", b"expires", b"content-location", b"date"}
)


def not_modified(
    headers: list[tuple[bytes, bytes]], if_none_match: bytes
) -> list[tuple[bytes, bytes]] | None:
    """The headers of a 304 for a 200 with ``headers``, if ``If-None-Match`` names its ETag.

    None when the response has no ETag or the client's tags are not it. The
    comparison is weak (RFC 9110 13.1.2): ``W/"3"`` names ``"3"`` too; ``*``
    names any current representation.
    """
    etag = next((value for name, value in headers if name == b"etag"), None)
    if etag is None:
        return None
    wanted = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
    if b"*" not in wanted and etag.removeprefix(b"W/") not in wanted:
        return None
    return [
        (name, value) for name, value in headers if name in _KEPT_BY_304 or name.startswith(b"x-")
    ]
