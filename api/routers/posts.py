"""``/posts``: posts with their author embedded and their tags."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.conditional import IfMatch, IfNoneMatch, tagged, unless_unchanged
from api.deps import StorageDep
from api.errors import responses
from api.pagination import CursorsDep
from api.routers.params import ResourceId
from api.strict_route import StrictRoute
from storage.types import Page, Post, PostCreate, PostQuery, PostUpdate

# Every route here reads the database, which may be down (503 with Retry-After).
router = APIRouter(
    prefix="/posts", tags=["posts"], route_class=StrictRoute, responses=responses(503)
)


@router.post("", status_code=201, responses=responses(404))
async def create_post(data: PostCreate, storage: StorageDep, response: Response) -> Post:
    """Write a post; tags are case-folded, de-duplicated and sorted.

    404 if the author is unknown.
    """
    return tagged(await storage.posts.create(data), response)


@router.get("")
async def list_posts(
    query: Annotated[PostQuery, Query()], storage: StorageDep, cursors: CursorsDep, request: Request
) -> Page[Post]:
    """List posts, filtered by ``published``, ``author_id``, ``tag`` or text ``q``."""
    return await cursors.page(request, query, storage.posts.list)


@router.get("/{post_id}", response_model=Post, responses=responses(304, 404))
async def get_post(
    post_id: ResourceId, storage: StorageDep, response: Response, if_none_match: IfNoneMatch = None
) -> Any:
    """Read one post with its author (304 if ``If-None-Match`` names its current ETag)."""
    return unless_unchanged(await storage.posts.get(post_id), response, if_none_match)


@router.patch("/{post_id}", responses=responses(404, 412))
async def update_post(
    post_id: ResourceId,
    changes: PostUpdate,
    storage: StorageDep,
    response: Response,
    if_match: IfMatch = None,
) -> Post:
    """Change the fields sent; ``tags``, when sent, replaces the list."""
    return tagged(await storage.posts.update(post_id, changes, if_match), response)


@router.post("/{post_id}/publish", responses=responses(404))
async def publish_post(post_id: ResourceId, storage: StorageDep, response: Response) -> Post:
    """Publish a post; publishing it again changes nothing."""
    return tagged(await storage.posts.publish(post_id), response)


@router.delete("/{post_id}", status_code=204, responses=responses(404, 412))
async def delete_post(
    post_id: ResourceId, storage: StorageDep, if_match: IfMatch = None
) -> Response:
    """Delete a post."""
    await storage.posts.delete(post_id, if_match)
    return Response(status_code=204)
