"""``/categories``: product categories with case-insensitively unique names."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response

from api.auth.caller import Caller
from api.auth.policy import Action, authorize
from api.conditional import IfMatch, tagged
from api.deps import StorageDep
from api.errors import responses
from api.pagination import CursorsDep
from api.routers.params import ResourceId
from api.routing import Router
from api.strict_route import StrictRoute
from storage.types import Category, CategoryCreate, CategoryQuery, CategoryUpdate, Page

# Every route here reads the database, which may be down (503 with Retry-After).
router = Router(
    prefix="/categories", tags=["categories"], route_class=StrictRoute, responses=responses(503)
)


@router.post("", status_code=201, responses=responses(401, 403, 409))
async def create_category(
    data: CategoryCreate, storage: StorageDep, caller: Caller, response: Response
) -> Category:
    """Create a category; 409 if the name is taken in any letter case."""
    authorize(caller, Action.WRITE_CATALOG)
    return tagged(await storage.categories.create(data), response)


@router.get("")
async def list_categories(
    query: Annotated[CategoryQuery, Query()],
    storage: StorageDep,
    cursors: CursorsDep,
    request: Request,
) -> Page[Category]:
    """List categories."""
    return await cursors.page(request, query, storage.categories.list)


@router.get("/{category_id}", response_model=Category, responses=responses(304, 404))
async def get_category(
    category_id: ResourceId,
    storage: StorageDep,
    response: Response,
) -> Any:
    """Read one category (304 if ``If-None-Match`` names its current ETag)."""
    return tagged(await storage.categories.get(category_id), response)


@router.patch("/{category_id}", responses=responses(401, 403, 404, 409, 412))
async def update_category(
    category_id: ResourceId,
    changes: CategoryUpdate,
    storage: StorageDep,
    caller: Caller,
    response: Response,
    if_match: IfMatch = None,
) -> Category:
    """Rename or describe a category."""
    authorize(caller, Action.WRITE_CATALOG)
    return tagged(await storage.categories.update(category_id, changes, if_match), response)


@router.delete("/{category_id}", status_code=204, responses=responses(401, 403, 404, 409, 412))
async def delete_category(
    category_id: ResourceId, storage: StorageDep, caller: Caller, if_match: IfMatch = None
) -> Response:
    """Delete a category; 409 while products that are not deleted belong to it.

    Deleted products that still name it lose their category (a restored one
    comes back without).
    """
    authorize(caller, Action.WRITE_CATALOG)
    await storage.categories.delete(category_id, if_match)
    return Response(status_code=204)
