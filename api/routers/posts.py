"""``/posts``: posts with their author embedded and their tags."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import StorageDep
from api.errors import responses
from api.routers.params import ResourceId
from api.strict_route import StrictRoute
from storage.types import Page, Post, PostCreate, PostQuery, PostUpdate

# Every route here reads the database, which may be down (503 with Retry-After).
router = APIRouter(
    prefix="/posts", tags=["posts"], route_class=StrictRoute, responses=responses(503)
)


@router.post("", status_code=201, responses=responses(404))
async def create_post(data: PostCreate, storage: StorageDep) -> Post:
    """Write a post; tags are lower-cased, de-duplicated and sorted.

    404 if the author is unknown.
    """
    return await storage.posts.create(data)


@router.get("")
async def list_posts(query: Annotated[PostQuery, Query()], storage: StorageDep) -> Page[Post]:
    """List posts, filtered by ``published``, ``author_id``, ``tag`` or text ``q``."""
    return await storage.posts.list(query)


@router.get("/{post_id}", responses=responses(404))
async def get_post(post_id: ResourceId, storage: StorageDep) -> Post:
    """Read one post with its author."""
    return await storage.posts.get(post_id)


@router.patch("/{post_id}", responses=responses(404))
async def update_post(post_id: ResourceId, changes: PostUpdate, storage: StorageDep) -> Post:
    """Change the fields sent; ``tags``, when sent, replaces the list."""
    return await storage.posts.update(post_id, changes)


@router.post("/{post_id}/publish", responses=responses(404))
async def publish_post(post_id: ResourceId, storage: StorageDep) -> Post:
    """Publish a post; publishing it again changes nothing."""
    return await storage.posts.publish(post_id)


@router.delete("/{post_id}", status_code=204, responses=responses(404))
async def delete_post(post_id: ResourceId, storage: StorageDep) -> Response:
    """Delete a post."""
    await storage.posts.delete(post_id)
    return Response(status_code=204)
