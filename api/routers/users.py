"""``/users``: create (one or many), read, update, delete, list and search; posts and orders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.conditional import IfMatch, IfNoneMatch, tagged, unless_unchanged
from api.deps import StorageDep
from api.errors import responses
from api.pagination import CursorsDep
from api.routers.params import ResourceId
from api.strict_route import StrictRoute
from storage.types import (
    Order,
    OrderQuery,
    Page,
    Post,
    PostQuery,
    User,
    UserBatch,
    UserCreate,
    UserQuery,
    UserUpdate,
)

# Every route here reads the database, which may be down (503 with Retry-After).
router = APIRouter(
    prefix="/users", tags=["users"], route_class=StrictRoute, responses=responses(503)
)


@router.post("", status_code=201, responses=responses(409))
async def create_user(data: UserCreate, storage: StorageDep, response: Response) -> User:
    """Register a user; the email is stored lower-case and must be unique."""
    return tagged(await storage.users.create(data), response)


@router.post("/bulk", status_code=201, responses=responses(409))
async def create_users(data: UserBatch, storage: StorageDep) -> list[User]:
    """Register 1-1000 users, all or none.

    409 lists every email that is already registered or repeated in the batch
    (``errors``, each with its index); a 422 names each invalid item by index.
    """
    return await storage.users.create_many(data)


@router.get("")
async def list_users(
    query: Annotated[UserQuery, Query()], storage: StorageDep, cursors: CursorsDep, request: Request
) -> Page[User]:
    """List users, filtered, sorted and paginated."""
    return await cursors.page(request, query, storage.users.list)


@router.get("/search")
async def search_users(
    query: Annotated[UserQuery, Query()], storage: StorageDep, cursors: CursorsDep, request: Request
) -> Page[User]:
    """Same as ``GET /users``; kept for clients that search by ``name`` or ``city``."""
    return await cursors.page(request, query, storage.users.list)


@router.get("/{user_id}", response_model=User, responses=responses(304, 404))
async def get_user(
    user_id: ResourceId, storage: StorageDep, response: Response, if_none_match: IfNoneMatch = None
) -> Any:
    """Read one user (304 if ``If-None-Match`` names its current ETag)."""
    return unless_unchanged(await storage.users.get(user_id), response, if_none_match)


@router.patch("/{user_id}", responses=responses(404, 409, 412))
async def update_user(
    user_id: ResourceId,
    changes: UserUpdate,
    storage: StorageDep,
    response: Response,
    if_match: IfMatch = None,
) -> User:
    """Change the fields sent; the others keep their values."""
    return tagged(await storage.users.update(user_id, changes, if_match), response)


@router.delete("/{user_id}", status_code=204, responses=responses(404, 412))
async def delete_user(
    user_id: ResourceId, storage: StorageDep, if_match: IfMatch = None
) -> Response:
    """Delete a user and all of their posts (their orders stay, as history)."""
    await storage.users.delete(user_id, if_match)
    return Response(status_code=204)


@router.get("/{user_id}/posts", responses=responses(404))
async def list_user_posts(
    user_id: ResourceId,
    query: Annotated[PostQuery, Query()],
    storage: StorageDep,
    cursors: CursorsDep,
    request: Request,
) -> Page[Post]:
    """A user's posts (an empty page if they have none); ``author_id`` is ignored here."""
    return await cursors.page(request, query, lambda q: storage.posts.list_by_author(user_id, q))


@router.get("/{user_id}/orders", responses=responses(404))
async def list_user_orders(
    user_id: ResourceId,
    query: Annotated[OrderQuery, Query()],
    storage: StorageDep,
    cursors: CursorsDep,
    request: Request,
) -> Page[Order]:
    """A user's orders, newest first (an empty page if they have none)."""
    return await cursors.page(request, query, lambda q: storage.orders.list_by_user(user_id, q))
