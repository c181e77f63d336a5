"""The shop: products filtered by a plain GET form, and a page per product."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.auth.policy import Action, allowed
from api.deps import StorageDep
from api.pagination import Cursors
from api.routers.params import ResourceId
from api.routing import Router
from storage.protocol import Storage
from storage.types import Category, CategoryQuery, ProductQuery
from web.forms import validate, whole_number
from web.paging import PAGE_SIZE, after_of, links
from web.rendering import render
from web.session import PageCaller

router = Router(include_in_schema=False)
FILTERS = ("q", "category_id", "min_price", "max_price", "in_stock")


async def all_categories(storage: Storage) -> list[Category]:
    """The categories for a menu, by name (the first hundred)."""
    return (await storage.categories.list(CategoryQuery(sort="name", limit=100))).items


@router.get("/shop")
async def shop(request: Request, storage: StorageDep, caller: PageCaller) -> HTMLResponse:
    """Products, filtered by category, price range, stock and name."""
    values = {name: request.query_params.get(name, "") for name in FILTERS}
    given = {
        "q": values["q"] or None,
        "category_id": whole_number(values["category_id"]),
        "min_price": values["min_price"].strip() or None,
        "max_price": values["max_price"].strip() or None,
        "in_stock": True if values["in_stock"] else None,
        "limit": PAGE_SIZE,
        "count": False,
        "after": after_of(request),
        "sort": "name",
    }
    # Left out, not null: the query model's text rules do not take None.
    query, errors = validate(ProductQuery, {k: v for k, v in given.items() if v is not None})
    categories = await all_categories(storage)
    context: dict[str, Any] = {"values": values, "errors": errors, "categories": categories}
    if query is None:
        return render(request, "shop.html", status=400, page=None, links=None, **context)
    cursors: Cursors = request.app.state.cursors
    page = await cursors.page(request, query, storage.products.list)
    return render(request, "shop.html", page=page, links=links(request, page, values), **context)


@router.get("/shop/{product_id}")
async def product_page(
    product_id: ResourceId, request: Request, storage: StorageDep, caller: PageCaller
) -> HTMLResponse:
    """One product with its category, price and stock."""
    product = await storage.products.get(product_id)
    may_change = allowed(caller, Action.WRITE_CATALOG)
    return render(request, "product.html", product=product, may_change=may_change)
