"""``/tags``: tags in use and how many posts carry each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import StorageDep
from api.errors import responses
from api.pagination import CursorsDep
from api.strict_route import StrictRoute
from storage.types import Page, TagCount, TagQuery

# Every route here reads the database, which may be down (503 with Retry-After).
router = APIRouter(prefix="/tags", tags=["tags"], route_class=StrictRoute, responses=responses(503))


@router.get("")
async def list_tags(
    query: Annotated[TagQuery, Query()], storage: StorageDep, cursors: CursorsDep, request: Request
) -> Page[TagCount]:
    """Tags carried by at least one post, by name or by ``post_count``."""
    return await cursors.page(request, query, storage.tags.list)
