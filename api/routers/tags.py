"""``/tags``: tags in use and how many posts carry each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import StorageDep
from api.pagination import CursorsDep
from storage.types import Page, TagCount, TagQuery

router = APIRouter(prefix="/tags", tags=["tags"])


@router.get("")
async def list_tags(
    query: Annotated[TagQuery, Query()], storage: StorageDep, cursors: CursorsDep, request: Request
) -> Page[TagCount]:
    """Tags carried by at least one post, by name or by ``post_count``."""
    return await cursors.page(request, query, storage.tags.list)
