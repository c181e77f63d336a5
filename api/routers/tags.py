"""``/tags``: tags in use and how many posts carry each."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from api.auth.caller import MaybeCaller
from api.auth.policy import draft_scope
from api.deps import StorageDep
from api.errors import responses
from api.pagination import CursorsDep
from api.routing import Router
from api.strict_route import StrictRoute
from storage.types import Page, TagCount, TagQuery

# Every route here reads the database, which may be down (503 with Retry-After).
router = Router(prefix="/tags", tags=["tags"], route_class=StrictRoute, responses=responses(503))


@router.get("", responses=responses(401))
async def list_tags(
    query: Annotated[TagQuery, Query()],
    storage: StorageDep,
    cursors: CursorsDep,
    request: Request,
    response: Response,
    caller: MaybeCaller,
) -> Page[TagCount]:
    """Tags carried by at least one post, by name or by ``post_count``.

    Only the posts the caller may read count: drafts for their author and admins.
    """
    response.headers["Vary"] = "Authorization"
    drafts = draft_scope(caller)
    return await cursors.page(request, query, lambda q: storage.tags.list(q, drafts))
