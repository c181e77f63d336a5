"""``/products``: products with their category embedded, price and stock filters."""

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
from storage.types import Page, Product, ProductBatch, ProductCreate, ProductQuery, ProductUpdate

# Every route here reads the database, which may be down (503 with Retry-After).
router = Router(
    prefix="/products", tags=["products"], route_class=StrictRoute, responses=responses(503)
)


@router.post("", status_code=201, responses=responses(401, 403, 404))
async def create_product(
    data: ProductCreate, storage: StorageDep, caller: Caller, response: Response
) -> Product:
    """Create a product; 404 if ``category_id`` names no category."""
    authorize(caller, Action.WRITE_CATALOG)
    return tagged(await storage.products.create(data), response)


@router.post("/bulk", status_code=201, responses=responses(401, 403, 404))
async def create_products(data: ProductBatch, storage: StorageDep, caller: Caller) -> list[Product]:
    """Create 1-1000 products, all or none; 404 names every missing category."""
    authorize(caller, Action.WRITE_CATALOG)
    return await storage.products.create_many(data)


@router.get("")
async def list_products(
    query: Annotated[ProductQuery, Query()],
    storage: StorageDep,
    cursors: CursorsDep,
    request: Request,
) -> Page[Product]:
    """List products by category, price range, stock or name text ``q``.

    Deleted products are left out; ``deleted=only`` lists them instead,
    ``deleted=include`` with the others.
    """
    return await cursors.page(request, query, storage.products.list)


@router.get("/{product_id}", response_model=Product, responses=responses(304, 404))
async def get_product(
    product_id: ResourceId,
    storage: StorageDep,
    response: Response,
) -> Any:
    """Read one product with its category (404 once deleted)."""
    return tagged(await storage.products.get(product_id), response)


@router.patch("/{product_id}", responses=responses(401, 403, 404, 412))
async def update_product(
    product_id: ResourceId,
    changes: ProductUpdate,
    storage: StorageDep,
    caller: Caller,
    response: Response,
    if_match: IfMatch = None,
) -> Product:
    """Change price, stock, name or category (``null`` removes the category)."""
    authorize(caller, Action.WRITE_CATALOG)
    return tagged(await storage.products.update(product_id, changes, if_match), response)


@router.delete("/{product_id}", status_code=204, responses=responses(401, 403, 404, 412))
async def delete_product(
    product_id: ResourceId, storage: StorageDep, caller: Caller, if_match: IfMatch = None
) -> Response:
    """Delete a product: it is hidden and cannot be ordered, but orders keep it."""
    authorize(caller, Action.WRITE_CATALOG)
    await storage.products.delete(product_id, if_match)
    return Response(status_code=204)


@router.post("/{product_id}/restore", responses=responses(401, 403, 404, 409))
async def restore_product(
    product_id: ResourceId, storage: StorageDep, caller: Caller, response: Response
) -> Product:
    """Bring a deleted product back; 409 if it is not deleted."""
    authorize(caller, Action.WRITE_CATALOG)
    return tagged(await storage.products.restore(product_id), response)
