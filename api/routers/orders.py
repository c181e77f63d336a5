"""``/orders``: place an order (stock taken, all or nothing), read it, cancel it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.conditional import IfMatch, IfNoneMatch, tagged, unless_unchanged
from api.deps import StorageDep
from api.errors import responses
from api.routers.params import ResourceId
from api.strict_route import StrictRoute
from storage.types import Order, OrderCreate

# Every route here reads the database, which may be down (503 with Retry-After).
router = APIRouter(
    prefix="/orders", tags=["orders"], route_class=StrictRoute, responses=responses(503)
)


@router.post("", status_code=201, responses=responses(404, 409))
async def place_order(data: OrderCreate, storage: StorageDep, response: Response) -> Order:
    """Order 1-100 products: every line's stock is taken, or nothing is.

    Each line keeps the product's name and price as they are now. 409 names a
    product with too little stock; 404 an unknown user or an unknown or deleted
    product.
    """
    return tagged(await storage.orders.place(data), response)


@router.get("/{order_id}", response_model=Order, responses=responses(304, 404))
async def get_order(
    order_id: ResourceId, storage: StorageDep, response: Response, if_none_match: IfNoneMatch = None
) -> Any:
    """Read one order."""
    return unless_unchanged(await storage.orders.get(order_id), response, if_none_match)


@router.post("/{order_id}/cancel", responses=responses(404, 409, 412))
async def cancel_order(
    order_id: ResourceId, storage: StorageDep, response: Response, if_match: IfMatch = None
) -> Order:
    """Cancel an order and give its stock back; 409 if it is already cancelled."""
    return tagged(await storage.orders.cancel(order_id, if_match), response)
