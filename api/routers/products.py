"""``/products``: products with their category embedded, price and stock filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import StorageDep
from api.errors import responses
from api.routers.params import ResourceId
from api.strict_route import StrictRoute
from storage.types import Page, Product, ProductCreate, ProductQuery, ProductUpdate

# Every route here reads the database, which may be down (503 with Retry-After).
router = APIRouter(
    prefix="/products", tags=["products"], route_class=StrictRoute, responses=responses(503)
)


@router.post("", status_code=201, responses=responses(404))
async def create_product(data: ProductCreate, storage: StorageDep) -> Product:
    """Create a product; 404 if ``category_id`` names no category."""
    return await storage.products.create(data)


@router.get("")
async def list_products(
    query: Annotated[ProductQuery, Query()], storage: StorageDep
) -> Page[Product]:
    """List products by category, price range, stock or name text ``q``."""
    return await storage.products.list(query)


@router.get("/{product_id}", responses=responses(404))
async def get_product(product_id: ResourceId, storage: StorageDep) -> Product:
    """Read one product with its category."""
    return await storage.products.get(product_id)


@router.patch("/{product_id}", responses=responses(404))
async def update_product(
    product_id: ResourceId, changes: ProductUpdate, storage: StorageDep
) -> Product:
    """Change price, stock, name or category (``null`` removes the category)."""
    return await storage.products.update(product_id, changes)


@router.delete("/{product_id}", status_code=204, responses=responses(404))
async def delete_product(product_id: ResourceId, storage: StorageDep) -> Response:
    """Delete a product."""
    await storage.products.delete(product_id)
    return Response(status_code=204)
