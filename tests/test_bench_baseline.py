"""The benchmark's raw-driver baseline answers exactly as the API does.

Data is written through the API; then the same reads go to the API and to the
baseline (``bench.baseline``) and must give the same status and the same JSON,
keys in the same order, and the same bytes (next-page cursors included). Runs
on every enabled backend, the Mongo stand-in included.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image

from bench.baseline import SqliteReads, baseline_app, create_baseline_app
from tests.accounts import admin_token
from tests.conftest import ENABLED, BackendCase, http_client, running_app
from tests.helpers import created, new_post, new_user

pytestmark = pytest.mark.anyio

PATHS = [
    "/users/1",
    "/users/7",
    "/users/999999",
    "/posts",
    "/posts?limit=3",
    "/posts?limit=100",
    "/posts?limit=5&skip=20",
    "/posts?limit=10&skip=500",
    "/products",
    # The benchmark's search, then its variants: bounds rounded to whole cents
    # (up for the lower, down for the upper), no bounds, out of stock, by id, pages.
    "/products?min_price=10&max_price=60&in_stock=true&sort=price",
    "/products?min_price=10&max_price=60&in_stock=true&sort=price&limit=2",
    "/products?min_price=12.501&max_price=99.999&sort=price",
    "/products?min_price=12.5&max_price=12.5&sort=price",
    "/products?sort=price&limit=3&skip=2",
    "/products?in_stock=false&sort=price",
    "/products?in_stock=true&limit=4",
    "/products?min_price=5000",
    "/products?max_price=0.5&sort=price",
]
# Prices that print differently as Decimal text, float and cents; two ties; the
# 'deleted' one is deleted (left out), some are out of stock or have no category.
PRODUCTS = [
    ("Lampe «Zürich»", "12.50", 3, 0),
    ("Kettle", "12.5", 0, 1),
    ("Mug ✓", "7.05", 9, None),
    ("Chair", "100", 1, 1),
    ("Cable", "0.01", 5, 0),
    ("Notebook", "59.99", 0, None),
    ("Speaker", "60.00", 2, 0),
    ("deleted", "20", 4, 1),
    ("Widget", "33.33", 7, 1),
    ("Gadget", "99.99", 12, 0),
]


async def seed(client: httpx.AsyncClient) -> None:
    """Users (one inactive, one with a picture, non-ASCII text) and 25 posts, some without tags."""
    authors = [
        await new_user(client, email=f"author{i}@example.com", name=f"Autor Nº{i} «é»", age=20 + i)
        for i in range(7)
    ]
    await new_user(client, email="idle@example.com", is_active=False, city="Zürich")
    # User 7 has a picture of their own (the others the default one).
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(picture, "PNG")
    files = {"picture": ("me.png", picture.getvalue(), "image/png")}
    assert (await client.put(f"/users/{authors[5]['id']}/picture", files=files)).status_code == 200
    for i in range(25):
        tags = [] if i % 4 == 0 else ["Zeta", f"tag{i % 5}", "alpha", f"ÉTÉ{i % 2}"]
        await new_post(
            client,
            authors[i % len(authors)]["id"],
            title=f"Post {i} — “quoted”",
            content=f'Line one\nline "two"\t\\ {i} ✓',
            published=i % 3 == 0,
            tags=tags,
        )
    categories = [
        await created(client, "/categories", {"name": "Küche", "description": "Pots «and» pans"}),
        await created(client, "/categories", {"name": "Office"}),
    ]
    for name, price, stock, category in PRODUCTS:
        body = {"name": name, "price": price, "stock": stock}
        if category is not None:
            body["category_id"] = categories[category]["id"]
        product = await created(client, "/products", body)
        if name == "deleted":
            assert (await client.delete(f"/products/{product['id']}")).status_code == 204


def ordered(response: httpx.Response) -> Any:
    """The JSON body with every object as a list of pairs, so key order counts."""
    return json.loads(response.content, object_pairs_hook=list)


ANONYMOUS = {"Authorization": ""}


def baseline_for(url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The baseline on the API's database, found through its environment variable."""
    monkeypatch.setenv("BENCH_BASELINE_URL", url)
    return create_baseline_app()


@pytest.mark.parametrize("case", ENABLED, ids=[case.id for case in ENABLED])
async def test_baseline_answers_as_the_api_does(
    case: BackendCase, database_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_urls[case.id]
    async with running_app(case, url) as api, http_client(api, await admin_token(api)) as client:
        await seed(client)
        baseline = baseline_for(url, monkeypatch)
        async with (
            LifespanManager(baseline),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=baseline), base_url="http://test"
            ) as raw,
        ):
            for path in PATHS:
                # The benchmark reads anonymously: the public view, as anyone gets it.
                expected, got = await client.get(path, headers=ANONYMOUS), await raw.get(path)
                assert got.status_code == expected.status_code, path
                assert ordered(got) == ordered(expected), path
                assert got.content == expected.content, path
                assert got.headers["content-type"] == expected.headers["content-type"]
            page = (await raw.get("/posts?limit=100")).json()
            # Published posts only (every third): an anonymous reader sees no drafts.
            assert page["total"] == 9 and len(page["items"]) == 9
            assert page["items"][1]["tags"] == ["alpha", "tag3", "zeta", "été1"]
            for path in ("/users/abc", "/users/0", "/users/1/posts", "/nowhere", "/"):
                assert (await raw.get(path)).status_code == 404, path
            assert (await raw.post("/users/1")).status_code == 404
            for query in ("limit=0", "limit=101", "limit=x", "skip=-1"):
                assert (await raw.get(f"/posts?{query}")).status_code == 422, query
            search = (await raw.get("/products?sort=price&limit=100")).json()
            assert [item["price"] for item in search["items"][:3]] == [0.01, 7.05, 12.5]
            assert search["total"] == len(PRODUCTS) - 1  # the deleted one is left out
            for query in ("min_price=x", "min_price=-1", "min_price=5&max_price=4",
                          "in_stock=maybe", "sort=name", "limit=0", "skip=x"):  # fmt: skip
                expected = await client.get(f"/products?{query}", headers=ANONYMOUS)
                got = await raw.get(f"/products?{query}")
                assert got.status_code == 422, query
                if query != "sort=name":  # the API sorts by name too; the baseline does not
                    assert expected.status_code == 422, query


async def test_a_page_costs_the_same_statements_at_any_size(database_urls: dict[str, str]) -> None:
    case = next(case for case in ENABLED if case.id == "sqlite")
    url = database_urls["sqlite"]
    async with running_app(case, url) as api, http_client(api, await admin_token(api)) as client:
        await seed(client)
    reads = SqliteReads(url)
    statements: list[str] = []
    async with LifespanManager(baseline_app(reads)) as manager:
        assert reads.conn is not None
        await reads.conn.set_trace_callback(statements.append)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
        ) as raw:
            for limit in (1, 25):
                statements.clear()
                assert (await raw.get(f"/posts?limit={limit}")).status_code == 200
                assert len(statements) == 3, statements
            for limit in (1, 25):
                statements.clear()
                path = f"/products?min_price=1&max_price=90&in_stock=true&sort=price&limit={limit}"
                assert (await raw.get(path)).status_code == 200
                assert len(statements) == 2, statements


def test_the_factory_needs_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_BASELINE_URL", raising=False)
    with pytest.raises(RuntimeError, match="BENCH_BASELINE_URL"):
        create_baseline_app()
    monkeypatch.setenv("BENCH_BASELINE_URL", "oracle://db")
    with pytest.raises(ValueError, match="unsupported scheme"):
        create_baseline_app()
