"""``python -m api copy`` in a chain of stores: what the API shows survives every hop.

A dataset is written through the API on SQLite, then copied SQLite →
PostgreSQL → MongoDB → MariaDB → SQLite (the PostgreSQL and MariaDB legs when
TEST_POSTGRES_URL / TEST_MYSQL_URL are set; Mongo is the run's stand-in or
TEST_MONGO_URL). Every hop must verify; afterwards the last store must show
exactly what the first one shows, page by page and record by record with
ETags, and every store must hand out new ids after the copied ones.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from PIL import Image

from api.copy.command import Outcome, copy_between
from api.main import create_app
from api.pictures.processing import process_blocking
from bench.databases import mongo_database, sql_database
from storage.factory import migrate_storage, open_storage
from storage.types.records import PictureRecord
from tests.accounts import admin_token, create_admin, sign_up_body
from tests.conftest import CASES, BackendCase, http_client, settings_for
from tests.copy_data import load, snapshot

BY_ID = {case.id: case for case in CASES}


@dataclass
class Chain:
    """The stores of the chain, in order, and what each copy reported."""

    hops: list[tuple[BackendCase, str]]
    outcomes: list[Outcome]


async def _in_app(case: BackendCase, url: str, work: Any, *, first: bool = False) -> Any:
    """``work(client)`` on the app at ``url``, as the admin (created there if ``first``).

    The admin of every later store is the copied one: a copy keeps passwords.
    """
    app = create_app(settings_for(case, url))
    async with LifespanManager(app):
        if first:
            await create_admin(app)
        async with http_client(app, await admin_token(app)) as client:
            return await work(client)


def _stores(stack: ExitStack, tmp: Path, mongo_server: str) -> list[tuple[BackendCase, str]]:
    hops = [(BY_ID["sqlite"], f"sqlite:///{tmp / 'first.db'}")]
    if os.environ.get("TEST_POSTGRES_URL"):
        hops.append((BY_ID["postgres"], stack.enter_context(sql_database(_env("POSTGRES")))))
    hops.append((BY_ID["mongo"], stack.enter_context(mongo_database(mongo_server))))
    if os.environ.get("TEST_MYSQL_URL"):
        hops.append((BY_ID["mariadb"], stack.enter_context(sql_database(_env("MYSQL")))))
    hops.append((BY_ID["sqlite"], f"sqlite:///{tmp / 'last.db'}"))
    return hops


def _env(name: str) -> str:
    return os.environ[f"TEST_{name}_URL"]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, mongo_server: str) -> Iterator[Chain]:
    with ExitStack() as stack:
        hops = _stores(stack, tmp_path_factory.mktemp("chain"), mongo_server)
        first_case, first_url = hops[0]
        asyncio.run(migrate_storage("sql", database_url=first_url, mongo_url=""))
        asyncio.run(_in_app(first_case, first_url, load, first=True))
        outcomes = [
            asyncio.run(copy_between(source, target))
            for (_, source), (_, target) in itertools.pairwise(hops)
        ]
        yield Chain(hops, outcomes)


def test_every_hop_copies_everything_and_verifies(chain: Chain) -> None:
    for outcome, (case, _) in zip(chain.outcomes, chain.hops[1:], strict=True):
        assert outcome.verdict.ok, f"{case.id}: {outcome.verdict.line()}"
        assert outcome.verdict.line().startswith("Verified: the target matches the source")
        counts = {c.kind: c.target.count for c in outcome.verdict.comparisons}
        assert counts == {c.kind: c.target.count for c in chain.outcomes[0].verdict.comparisons}
        assert outcome.written == sum(counts.values()) > 1000
    print("hops:", " → ".join(case.id for case, _ in chain.hops))


def test_the_last_store_shows_what_the_first_one_shows(chain: Chain) -> None:
    (first_case, first_url), (last_case, last_url) = chain.hops[0], chain.hops[-1]
    before = asyncio.run(_in_app(first_case, first_url, snapshot))
    after = asyncio.run(_in_app(last_case, last_url, snapshot))
    assert before.keys() == after.keys()
    for key, shown in before.items():
        assert after[key] == shown, key
    # The snapshot saw what the dataset was made to have.
    products = before["/products [('deleted', 'only'), ('sort', 'name')]"][0]["items"]
    assert products and all(product["deleted_at"] for product in products)
    orders = [value for key, value in before.items() if key.startswith("/orders/")]
    assert {order[1].get("status") for order in orders} >= {"placed", "cancelled"}
    assert any(etag and etag != '"1"' and etag.startswith('"') for _, _, etag in orders)
    pictures = [value for key, value in before.items() if key.startswith("/pictures/")]
    stored = [status for status, _, etag in pictures if status == 200 and "default" not in etag]
    assert len(stored) >= 3 * 10  # shared, replaced and removed ones aside, in three sizes


async def _new_picture_id(case: BackendCase, url: str) -> int:
    """Store a new picture; the id it got (pictures' ids are not in the API)."""
    storage = await open_storage(case.backend, database_url=url, mongo_url=url)  # type: ignore[arg-type]
    try:
        out = io.BytesIO()
        Image.new("RGB", (20, 20), "olive").save(out, "PNG")
        await storage.pictures.set(1, process_blocking(out.getvalue()))
        return (await storage.transfer.census(PictureRecord)).highest_id
    finally:
        await storage.close()


async def _new_ids(client: Any) -> dict[str, int]:
    """Create one record of each kind; the ids they got."""
    user = await client.post("/users", json=sign_up_body("new@x.org"))
    category = await client.post("/categories", json={"name": "Brand new"})
    product = await client.post("/products", json={"name": "New", "price": "1.00", "stock": 5})
    post = await client.post(
        "/posts",
        json={"title": "Hello again", "content": "Twenty characters at least.", "author_id": 1},
    )
    order = await client.post(
        "/orders",
        json={"user_id": 1, "items": [{"product_id": product.json()["id"], "quantity": 1}]},
    )
    made = {"users": user, "categories": category, "products": product, "posts": post}
    made["orders"] = order
    for response in made.values():
        assert response.status_code == 201, response.text
    return {kind: response.json()["id"] for kind, response in made.items()}


def test_every_store_gives_new_ids_after_the_copied_ones(chain: Chain) -> None:
    source = {c.kind: c.source.id_counter for c in chain.outcomes[0].verdict.comparisons}
    # The newest user and post were deleted: their ids are above the highest stored ones.
    assert all(counter > 0 for counter in source.values())
    expected = {kind: counter + 1 for kind, counter in source.items()}
    for case, url in chain.hops[1:]:
        made = asyncio.run(_in_app(case, url, _new_ids))
        made["pictures"] = asyncio.run(_new_picture_id(case, url))
        assert made == expected, case.id
