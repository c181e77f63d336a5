"""Admins' pages: create and edit categories and products."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth.policy import Action, authorize
from api.deps import StorageDep
from api.routers.params import ResourceId
from api.routing import Router
from storage.errors import Conflict, NotFound
from storage.types import (
    Category,
    CategoryCreate,
    CategoryUpdate,
    Product,
    ProductCreate,
    ProductUpdate,
)
from web.catalog import all_categories
from web.forms import read, validate, whole_number
from web.rendering import render
from web.session import PageCaller

router = Router(prefix="/admin", include_in_schema=False)


def _done(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


# Categories ------------------------------------------------------------------


def _category_body(form: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    values = {"name": form.get("name", ""), "description": form.get("description", "")}
    return values, {"name": values["name"], "description": values["description"].strip() or None}


@router.get("/categories")
async def categories(request: Request, storage: StorageDep, caller: PageCaller) -> HTMLResponse:
    """Every category, and a form for a new one."""
    authorize(caller, Action.WRITE_CATALOG)
    return render(request, "admin_categories.html", categories=await all_categories(storage))


@router.post("/categories")
async def create_category(request: Request, storage: StorageDep, caller: PageCaller) -> Response:
    """Store a new category."""
    authorize(caller, Action.WRITE_CATALOG)
    values, body = _category_body(await read(request))
    data, errors = validate(CategoryCreate, body)
    if data is not None:
        try:
            await storage.categories.create(data)
            return _done("/admin/categories")
        except Conflict as exc:
            errors = {"name": exc.message}
    listed = await all_categories(storage)
    return render(
        request, "admin_categories.html", 422, categories=listed, values=values, errors=errors
    )


@router.get("/categories/{category_id}")
async def category_form(
    category_id: ResourceId, request: Request, storage: StorageDep, caller: PageCaller
) -> HTMLResponse:
    """A category's form."""
    authorize(caller, Action.WRITE_CATALOG)
    category = await storage.categories.get(category_id)
    values = {"name": category.name, "description": category.description or ""}
    return render(request, "admin_category.html", category=category, values=values)


@router.post("/categories/{category_id}")
async def update_category(
    category_id: ResourceId, request: Request, storage: StorageDep, caller: PageCaller
) -> Response:
    """Change a category."""
    authorize(caller, Action.WRITE_CATALOG)
    category: Category = await storage.categories.get(category_id)
    values, body = _category_body(await read(request))
    changes, errors = validate(CategoryUpdate, body)
    if changes is not None:
        try:
            await storage.categories.update(category_id, changes)
            return _done("/admin/categories")
        except Conflict as exc:
            errors = {"name": exc.message}
    return render(
        request, "admin_category.html", 422, category=category, values=values, errors=errors
    )


# Products ---------------------------------------------------------------------


def _product_body(form: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    names = ("name", "price", "stock", "category_id")
    values = {name: form.get(name, "") for name in names}
    stock = whole_number(values["stock"])
    body = {
        "name": values["name"],
        "price": values["price"].strip(),
        "stock": 0 if stock is None else stock,
        "category_id": whole_number(values["category_id"]),
    }
    return values, body


async def _product_form(
    request: Request,
    storage: StorageDep,
    product: Product | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    listed = await all_categories(storage)
    return render(
        request,
        "admin_product.html",
        status,
        product=product,
        categories=listed,
        values=values,
        errors=errors,
    )


@router.get("/products/new")
async def new_product(request: Request, storage: StorageDep, caller: PageCaller) -> HTMLResponse:
    """An empty product form."""
    authorize(caller, Action.WRITE_CATALOG)
    return await _product_form(request, storage, None, {"stock": "0"}, {})


@router.post("/products/new")
async def create_product(request: Request, storage: StorageDep, caller: PageCaller) -> Response:
    """Store a new product; to its page."""
    authorize(caller, Action.WRITE_CATALOG)
    values, body = _product_body(await read(request))
    data, errors = validate(ProductCreate, body)
    if data is not None:
        try:
            product = await storage.products.create(data)
            return _done(f"/shop/{product.id}")
        except NotFound as exc:
            errors = {"category_id": exc.message}
    return await _product_form(request, storage, None, values, errors, 422)


@router.get("/products/{product_id}")
async def product_form(
    product_id: ResourceId, request: Request, storage: StorageDep, caller: PageCaller
) -> HTMLResponse:
    """A product's form, filled in."""
    authorize(caller, Action.WRITE_CATALOG)
    product = await storage.products.get(product_id)
    values = {
        "name": product.name,
        "price": str(product.price),
        "stock": str(product.stock),
        "category_id": str(product.category.id) if product.category else "",
    }
    return await _product_form(request, storage, product, values, {})


@router.post("/products/{product_id}")
async def update_product(
    product_id: ResourceId, request: Request, storage: StorageDep, caller: PageCaller
) -> Response:
    """Change a product; to its page."""
    authorize(caller, Action.WRITE_CATALOG)
    product = await storage.products.get(product_id)
    values, body = _product_body(await read(request))
    changes, errors = validate(ProductUpdate, body)
    if changes is not None:
        try:
            await storage.products.update(product_id, changes)
            return _done(f"/shop/{product_id}")
        except NotFound as exc:
            errors = {"category_id": exc.message}
    return await _product_form(request, storage, product, values, errors, 422)
