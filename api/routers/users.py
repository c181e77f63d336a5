"""``/users``: create, read, update, delete, list and search users; a user's posts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import StorageDep
from api.errors import responses
from api.routers.params import ResourceId
from api.strict_route import StrictRoute
from storage.types import Page, Post, PostQuery, User, UserCreate, UserQuery, UserUpdate

# Every route here reads the database, which may be down (503 with Retry-After).
router = APIRouter(
    prefix="/users", tags=["users"], route_class=StrictRoute, responses=responses(503)
)


@router.post("", status_code=201, responses=responses(409))
async def create_user(data: UserCreate, storage: StorageDep) -> User:
    """Register a user; the email is stored lower-case and must be unique."""
    return await storage.users.create(data)


@router.get("")
async def list_users(query: Annotated[UserQuery, Query()], storage: StorageDep) -> Page[User]:
    """List users, filtered, sorted and paginated."""
    return await storage.users.list(query)


@router.get("/search")
async def search_users(query: Annotated[UserQuery, Query()], storage: StorageDep) -> Page[User]:
    """Same as ``GET /users``; kept for clients that search by ``name`` or ``city``."""
    return await storage.users.list(query)


@router.get("/{user_id}", responses=responses(404))
async def get_user(user_id: ResourceId, storage: StorageDep) -> User:
    """Read one user."""
    return await storage.users.get(user_id)


@router.patch("/{user_id}", responses=responses(404, 409))
async def update_user(user_id: ResourceId, changes: UserUpdate, storage: StorageDep) -> User:
    """Change the fields sent; the others keep their values."""
    return await storage.users.update(user_id, changes)


@router.delete("/{user_id}", status_code=204, responses=responses(404))
async def delete_user(user_id: ResourceId, storage: StorageDep) -> Response:
    """Delete a user and all of their posts."""
    await storage.users.delete(user_id)
    return Response(status_code=204)


@router.get("/{user_id}/posts", responses=responses(404))
async def list_user_posts(
    user_id: ResourceId, query: Annotated[PostQuery, Query()], storage: StorageDep
) -> Page[Post]:
    """A user's posts (an empty page if they have none); ``author_id`` is ignored here."""
    return await storage.posts.list_by_author(user_id, query)
