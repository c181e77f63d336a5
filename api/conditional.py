"""Conditional requests: ETags out, ``If-Match`` and ``If-None-Match`` in.

Every single-resource response carries an ``ETag`` (``Resource.etag``: the
record's version, and its embedded record's for posts and products). A write
with ``If-Match`` passes it to the store, which compares it inside the write
itself (412 when stale); a read with ``If-None-Match`` naming the current tag
gets 304 without a body.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

from storage.types.common import Resource, etag_matches

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description="Apply only if the resource's ETag is still this one (else 412).",
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=1000,
        description="Answer 304 without a body if the resource's ETag is this one.",
    ),
]


def tagged[R: Resource](resource: R, response: Response) -> R:
    """Put the resource's ETag on the response; return the resource."""
    response.headers["ETag"] = resource.etag()
    return resource


def unless_unchanged[R: Resource](
    resource: R, response: Response, if_none_match: str | None
) -> R | Response:
    """The resource with its ETag, or 304 Not Modified if the client's copy is current."""
    if if_none_match is not None and etag_matches(resource, if_none_match):
        return Response(status_code=304, headers={"ETag": resource.etag()})
    return tagged(resource, response)
