"""A category delete racing a product write on Mongo, interleaved by hand on the double.

Without a multi-document transaction, ``MongoCategoryStore.delete`` and the product
writes each check again after their own write and undo it when they lose (see the
docstring of ``MongoCategoryStore.delete``). The double runs every operation to
completion without yielding, so these tests choose the interleavings: they pause an
operation at a seam (the re-check functions, or a collection method) and let the
other run, then assert the end state: no product names a missing category, and each
caller got the answer that state implies (404, 409, or success).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from storage.errors import Conflict, NotFound
from storage.messages import CATEGORY_HAS_PRODUCTS, CATEGORY_NOT_FOUND
from storage.mongo import MongoStorage, open_mongo_storage
from storage.mongo import categories as categories_module
from storage.mongo import products as products_module
from storage.mongo.categories import MongoCategoryStore
from storage.mongo.documents import Document
from storage.mongo.products import MongoProductStore
from storage.types import Category, CategoryCreate, Product, ProductCreate, ProductUpdate

pytestmark = pytest.mark.anyio

Step = Callable[[], Awaitable[None]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # PyMongo's async API runs on asyncio only


@dataclass
class Stores:
    storage: MongoStorage
    categories: MongoCategoryStore
    products: MongoProductStore

    async def docs(self, collection: str) -> list[Document]:
        return await self.storage.db[collection].find({}).sort("_id").to_list()

    async def assert_consistent(self) -> None:
        """No product names a category that does not exist."""
        category_ids = {doc["_id"] for doc in await self.docs("categories")}
        for product in await self.docs("products"):
            assert product["category_id"] is None or product["category_id"] in category_ids


@pytest.fixture
async def stores() -> AsyncIterator[Stores]:
    storage = await open_mongo_storage("mongomock://")
    yield Stores(storage, MongoCategoryStore(storage.db), MongoProductStore(storage.db))
    await storage.close()


async def _nothing() -> None:
    pass


def hook(
    monkeypatch: pytest.MonkeyPatch,
    target: object,
    name: str,
    before: Step = _nothing,
    after: Step = _nothing,
) -> None:
    """Run ``before`` and ``after`` around every call of ``target.name``."""
    original = getattr(target, name)

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        await before()
        result = await original(*args, **kwargs)
        await after()
        return result

    monkeypatch.setattr(target, name, wrapper)


def once(step: Step) -> Step:
    """``step`` on the first call only (a seam may be passed more than once)."""
    done = False

    async def run() -> None:
        nonlocal done
        if not done:
            done = True
            await step()

    return run


async def _category(stores: Stores, name: str = "Books") -> Category:
    return await stores.categories.create(CategoryCreate(name=name))


async def _product(stores: Stores, category_id: int | None) -> Product:
    data = ProductCreate(name="Widget", price=Decimal("9.99"), category_id=category_id)
    return await stores.products.create(data)


def _raw_delete(stores: Stores, category_id: int) -> Step:
    # A category delete whose own checks ran before the product's write.
    async def step() -> None:
        await stores.storage.db["categories"].delete_one({"_id": category_id})

    return step


# Product writes: the category is deleted between the write and its re-check.


async def test_create_is_taken_back_when_its_category_vanished(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    books = await _category(stores)
    hook(monkeypatch, products_module, "_recheck_category", before=_raw_delete(stores, books.id))
    with pytest.raises(NotFound, match=CATEGORY_NOT_FOUND):
        await _product(stores, books.id)
    assert await stores.docs("products") == []


async def test_update_is_taken_back_when_its_new_category_vanished(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    books, games = await _category(stores), await _category(stores, "Games")
    product = await _product(stores, books.id)
    (before,) = await stores.docs("products")
    hook(monkeypatch, products_module, "_recheck_category", before=_raw_delete(stores, games.id))
    with pytest.raises(NotFound, match=CATEGORY_NOT_FOUND):
        await stores.products.update(
            product.id, ProductUpdate(name="Gadget", price=Decimal("1.50"), category_id=games.id)
        )
    (after,) = await stores.docs("products")
    # Every field written is put back; only updated_at keeps the trace of the undo.
    assert {**after, "updated_at": None} == {**before, "updated_at": None}
    assert (await stores.products.get(product.id)).category == books
    await stores.assert_consistent()


async def test_undo_keeps_a_patch_made_in_between_and_restores_the_category(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    books, games = await _category(stores), await _category(stores, "Games")
    product = await _product(stores, books.id)

    async def patch_then_delete() -> None:
        await stores.storage.db["products"].update_one({"_id": product.id}, {"$set": {"name": "Z"}})
        await stores.storage.db["categories"].delete_one({"_id": games.id})

    hook(monkeypatch, products_module, "_recheck_category", before=patch_then_delete)
    with pytest.raises(NotFound, match=CATEGORY_NOT_FOUND):
        await stores.products.update(product.id, ProductUpdate(name="Gadget", category_id=games.id))
    (after,) = await stores.docs("products")
    assert after["name"] == "Z" and after["category_id"] == books.id
    await stores.assert_consistent()


async def test_undo_files_under_none_when_the_old_category_vanished_too(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    books, games = await _category(stores), await _category(stores, "Games")
    product = await _product(stores, books.id)

    async def delete_both() -> None:
        # Books' delete saw the product filed under Games, so it went through.
        await _raw_delete(stores, games.id)()
        await _raw_delete(stores, books.id)()

    hook(monkeypatch, products_module, "_recheck_category", before=once(delete_both))
    with pytest.raises(NotFound, match=CATEGORY_NOT_FOUND):
        await stores.products.update(product.id, ProductUpdate(category_id=games.id))
    assert (await stores.products.get(product.id)).category is None
    await stores.assert_consistent()


async def test_write_stands_when_its_category_is_still_there(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    books, games = await _category(stores), await _category(stores, "Games")
    hook(monkeypatch, products_module, "_recheck_category", before=_raw_delete(stores, games.id))
    product = await _product(stores, books.id)
    moved = await stores.products.update(product.id, ProductUpdate(category_id=books.id))
    assert product.category == moved.category == books


# Category delete: a product is filed under it between the delete and its re-check.


@pytest.mark.parametrize("write", ["insert", "move"])
async def test_delete_puts_the_category_back_when_a_product_slipped_in(
    stores: Stores, monkeypatch: pytest.MonkeyPatch, write: str
) -> None:
    books = await _category(stores)
    other = await _product(stores, None)
    (stored,) = await stores.docs("categories")

    async def file_product() -> None:
        # A product write whose own re-check ran before the delete.
        db_products = stores.storage.db["products"]
        if write == "insert":
            (doc,) = await stores.docs("products")
            await db_products.insert_one({**doc, "_id": other.id + 1, "category_id": books.id})
        else:
            await db_products.update_one({"_id": other.id}, {"$set": {"category_id": books.id}})

    hook(monkeypatch, categories_module, "_recheck_products", before=file_product)
    with pytest.raises(Conflict, match=re.escape(CATEGORY_HAS_PRODUCTS)):
        await stores.categories.delete(books.id)
    assert await stores.docs("categories") == [stored]  # exactly as it was
    assert (await stores.categories.get(books.id)) == books
    await stores.assert_consistent()


async def test_delete_stands_and_detaches_when_the_name_was_taken_meanwhile(
    stores: Stores, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    books = await _category(stores)
    product = await _product(stores, None)

    async def file_product_and_take_name() -> None:
        await stores.storage.db["products"].update_one(
            {"_id": product.id}, {"$set": {"category_id": books.id}}
        )
        await _category(stores, "BOOKS")

    hook(monkeypatch, categories_module, "_recheck_products", before=file_product_and_take_name)
    with caplog.at_level(logging.WARNING, logger=categories_module.__name__):
        await stores.categories.delete(books.id)
    assert [doc["name"] for doc in await stores.docs("categories")] == ["BOOKS"]
    assert (await stores.products.get(product.id)).category is None
    assert "not restored" in caplog.text
    await stores.assert_consistent()


async def test_delete_stands_when_no_product_slipped_in(stores: Stores) -> None:
    books = await _category(stores)
    await stores.categories.delete(books.id)
    assert await stores.docs("categories") == []
    with pytest.raises(NotFound, match=CATEGORY_NOT_FOUND):
        await stores.categories.delete(books.id)


# Both operations for real, each paused at chosen points while the other runs.


def _write_method(operation: str) -> str:
    return "insert_one" if operation == "create" else "find_one_and_update"


async def _start_write(stores: Stores, operation: str, category_id: int) -> Product:
    if operation == "create":
        return await _product(stores, category_id)
    (product,) = await stores.docs("products")
    return await stores.products.update(product["_id"], ProductUpdate(category_id=category_id))


async def _setup(stores: Stores, operation: str) -> Category:
    books = await _category(stores)
    if operation == "update":
        await _product(stores, None)
    return books


async def _wait(event: asyncio.Event) -> None:
    # A seam the code no longer passes must fail the test, not hang it.
    async with asyncio.timeout(5):
        await event.wait()


def _gate(wait_for: asyncio.Event, then_set: asyncio.Event | None = None) -> Step:
    async def step() -> None:
        if then_set is not None:
            then_set.set()
        await _wait(wait_for)

    return step


def _signal(event: asyncio.Event) -> Step:
    async def step() -> None:
        event.set()

    return step


@pytest.mark.parametrize("operation", ["create", "update"])
async def test_delete_first_the_write_undoes_itself(
    stores: Stores, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    # product checks, delete runs to the end, product writes and re-checks.
    books = await _setup(stores, operation)
    paused, resume = asyncio.Event(), asyncio.Event()
    hook(
        monkeypatch,
        stores.products._products,
        _write_method(operation),
        before=_gate(resume, paused),
    )
    write = asyncio.create_task(_start_write(stores, operation, books.id))
    await _wait(paused)
    await stores.categories.delete(books.id)
    resume.set()
    with pytest.raises(NotFound, match=CATEGORY_NOT_FOUND):
        await write
    assert await stores.docs("categories") == []
    await stores.assert_consistent()


@pytest.mark.parametrize("operation", ["create", "update"])
async def test_write_first_the_delete_puts_the_category_back(
    stores: Stores, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    # delete checks, product writes and re-checks, delete deletes and re-checks.
    books = await _setup(stores, operation)
    paused, resume = asyncio.Event(), asyncio.Event()
    gate = _gate(resume, paused)
    hook(monkeypatch, stores.categories._categories, "find_one_and_delete", before=gate)
    delete = asyncio.create_task(stores.categories.delete(books.id))
    await _wait(paused)
    product = await _start_write(stores, operation, books.id)
    resume.set()
    with pytest.raises(Conflict, match=re.escape(CATEGORY_HAS_PRODUCTS)):
        await delete
    assert (await stores.products.get(product.id)).category == books
    await stores.assert_consistent()


@pytest.mark.parametrize("operation", ["create", "update"])
async def test_both_see_each_other_and_both_undo(
    stores: Stores, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    # product checks; delete checks and deletes; product writes; product re-checks
    # (category gone); delete re-checks (product there); then both undo.
    books = await _setup(stores, operation)
    write_paused, deleted = asyncio.Event(), asyncio.Event()
    write_rechecked, delete_rechecked = asyncio.Event(), asyncio.Event()
    write_method = _write_method(operation)
    hook(monkeypatch, stores.products._products, write_method, before=_gate(deleted, write_paused))
    hook(
        monkeypatch,
        products_module,
        "_recheck_category",
        after=once(_gate(delete_rechecked, write_rechecked)),
    )
    hook(
        monkeypatch,
        categories_module,
        "_recheck_products",
        before=_gate(write_rechecked, deleted),
        after=_signal(delete_rechecked),
    )
    write = asyncio.create_task(_start_write(stores, operation, books.id))
    await _wait(write_paused)
    delete = asyncio.create_task(stores.categories.delete(books.id))
    results = await asyncio.gather(write, delete, return_exceptions=True)
    assert [type(r) for r in results] == [NotFound, Conflict]
    assert (await stores.categories.get(books.id)) == books
    assert [doc["category_id"] for doc in await stores.docs("products")] == (
        [] if operation == "create" else [None]
    )
    await stores.assert_consistent()
