"""``/orders``: place an order (stock taken, all or nothing), read it, cancel it.

Orders are their buyer's and admins' only: anyone else is told they do not exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response

from api.auth.caller import Caller
from api.auth.policy import Action, authorize
from api.conditional import IfMatch, tagged
from api.deps import StorageDep
from api.errors import responses
from api.routers.params import ResourceId
from api.routing import Router
from api.strict_route import StrictRoute
from storage.types import Credentials, Order, OrderCreate

# Every route here reads the database, which may be down (503 with Retry-After).
router = Router(
    prefix="/orders", tags=["orders"], route_class=StrictRoute, responses=responses(401, 503)
)


@router.post("", status_code=201, responses=responses(403, 404, 409))
async def place_order(
    data: OrderCreate, storage: StorageDep, response: Response, caller: Caller
) -> Order:
    """Order 1-100 products for oneself (admins: for anyone): all lines' stock, or nothing.

    Each line keeps the product's name and price as they are now. 409 names a
    product with too little stock; 404 an unknown user or an unknown or deleted
    product.
    """
    authorize(caller, Action.PLACE_ORDER)
    user_id = data.user_id or caller.id
    if user_id != caller.id:
        authorize(caller, Action.ORDER_FOR_ANOTHER)
    return tagged(
        await storage.orders.place(data.model_copy(update={"user_id": user_id})), response
    )


@router.get("/{order_id}", response_model=Order, responses=responses(304, 404))
async def get_order(
    order_id: ResourceId,
    storage: StorageDep,
    response: Response,
    caller: Caller,
) -> Any:
    """Read one of one's orders."""
    order = await _visible(storage, order_id, caller)
    return tagged(order, response)


@router.post("/{order_id}/cancel", responses=responses(404, 409, 412))
async def cancel_order(
    order_id: ResourceId,
    storage: StorageDep,
    response: Response,
    caller: Caller,
    if_match: IfMatch = None,
) -> Order:
    """Cancel one of one's orders and give its stock back; 409 if it is already cancelled."""
    await _visible(storage, order_id, caller)
    return tagged(await storage.orders.cancel(order_id, if_match), response)


async def _visible(storage: StorageDep, order_id: int, caller: Credentials) -> Order:
    # An order's buyer never changes, so checking before the write is enough.
    order = await storage.orders.get(order_id)
    authorize(caller, Action.SEE_ORDERS, owner=order.user_id)
    return order
