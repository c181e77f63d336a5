"""``/categories``: product categories with case-insensitively unique names."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import StorageDep
from api.errors import responses
from api.routers.params import ResourceId
from api.strict_route import StrictRoute
from storage.types import Category, CategoryCreate, CategoryQuery, CategoryUpdate, Page

# Every route here reads the database, which may be down (503 with Retry-After).
router = APIRouter(
    prefix="/categories", tags=["categories"], route_class=StrictRoute, responses=responses(503)
)


@router.post("", status_code=201, responses=responses(409))
async def create_category(data: CategoryCreate, storage: StorageDep) -> Category:
    """Create a category; 409 if the name is taken in any letter case."""
    return await storage.categories.create(data)


@router.get("")
async def list_categories(
    query: Annotated[CategoryQuery, Query()], storage: StorageDep
) -> Page[Category]:
    """List categories."""
    return await storage.categories.list(query)


@router.get("/{category_id}", responses=responses(404))
async def get_category(category_id: ResourceId, storage: StorageDep) -> Category:
    """Read one category."""
    return await storage.categories.get(category_id)


@router.patch("/{category_id}", responses=responses(404, 409))
async def update_category(
    category_id: ResourceId, changes: CategoryUpdate, storage: StorageDep
) -> Category:
    """Rename or describe a category."""
    return await storage.categories.update(category_id, changes)


@router.delete("/{category_id}", status_code=204, responses=responses(404, 409))
async def delete_category(category_id: ResourceId, storage: StorageDep) -> Response:
    """Delete a category; 409 while products still belong to it."""
    await storage.categories.delete(category_id)
    return Response(status_code=204)
