"""Filters, sorts, keys and indexes are declared once (``storage.types``); every store follows.

- every declared field is something each backend can query (an SQL column, a
  field the Mongo validator knows), and each query model has exactly the
  declared parameters;
- (``tests/test_indexes.py``: every store holds exactly the indexes the
  declarations ask for, and the planners use them);
- every declared filter (with several values) and every sort key (both ways)
  gives the same ids on every backend for the same data, Unicode included.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from storage.mongo.documents import POSTS as POSTS_COLLECTION
from storage.sql import categories, orders, post_reads, products, tags, users
from storage.types import LISTINGS, Listing
from storage.types.catalog import CategoryQuery, ProductQuery
from storage.types.common import ListQuery
from storage.types.orders import OrderQuery
from storage.types.posts import PostQuery, TagQuery
from storage.types.users import UserQuery
from tests.accounts import admin_token
from tests.conftest import ENABLED, http_client, running_app
from tests.helpers import created, new_post, new_user

pytestmark = pytest.mark.anyio

QUERIES: dict[str, type[ListQuery]] = {
    "users": UserQuery,
    "posts": PostQuery,
    "tags": TagQuery,
    "categories": CategoryQuery,
    "products": ProductQuery,
    "orders": OrderQuery,
}
SQL_COLUMNS: dict[str, dict[str, Any]] = {
    "users": users.COLUMNS,
    "posts": post_reads.COLUMNS,
    "tags": tags.COLUMNS,
    "categories": categories.COLUMNS,
    "products": products.COLUMNS,
    "orders": orders.COLUMNS,
}
# Tags are no collection on Mongo: they live in the posts' ``tags`` arrays.
MONGO_COLLECTION = {"tags": POSTS_COLLECTION}


def declared_fields(listing: Listing) -> set[str]:
    """Every stored field a listing filters or sorts by."""
    fields = {field for filter_ in listing.filters for field in filter_.fields}
    return fields | set(listing.sorts)


# Names chosen where stores used to disagree: Turkish i, final sigma, ß/ẞ,
# titlecase digraphs, combining accents, and characters that are operators elsewhere.
NAMES = [
    "İstanbul Ünal",
    "ISTANBUL Iris",
    "ıslak Işık",
    "ΣΊΣΥΦΟΣ Σωκράτης",
    "σίσυφος ς",
    "Straße Weiß",
    "STRASSE WEISS",
    "ẞtraße Groß",
    "ǅemal ǈubo",
    "DŽEMAL",
    "Café Crème",
    "Cafe\u0301 Cre\u0300me",
    "cafe creme",
    "100% _under_ $gt .* (a|b)",
    "Zoë 😀 ﬃ",
]
CITIES = ["İzmir", "izmir", "Σπάρτη", "Köln", "KÖLN", "Unknown"]

# Values tried for each declared filter parameter. A filter added to a
# declaration without values here fails test_filter_samples_cover_every_declared_filter.
SAMPLES: dict[str, dict[str, list[Any]]] = {
    "users": {
        "name": [
            "i",
            "İ",
            "i\u0307",
            "ı",
            "istanbul",
            "σ",
            "ς",
            "Σίσυφ",
            "ss",
            "ß",
            "ẞ",
            "dž",
            "ǅ",
            "Ǆ",
            "é",
            "e\u0301",
            "e",
            "CAFÉ",
            "%",
            "_",
            "$gt",
            ".*",
            "(a|b)",
            "ﬃ",
            "ffi",
            "😀",
            "x",
        ],
        "city": ["i", "İ", "izmir", "σπ", "ΣΠΆΡΤΗ", "köln", "o"],
        "min_age": [0, 30, 60],
        "max_age": [0, 30, 150],
        "is_active": [True, False],
    },
    "posts": {
        "published": [True, False],
        "author_id": [1, 2, 99],
        "tag": ["strasse", "Straße", "ǆ", "Ǆ", "σ", "ς", "nope"],
        "q": ["ss", "ß", "σ", "İ", "i", "café", "cafe\u0301", "%", "_", "body"],
    },
    "tags": {},
    "categories": {},
    "products": {
        "category_id": [1, 2, 99],
        "min_price": [Decimal("0"), Decimal("9.995"), Decimal("20")],
        "max_price": [Decimal("9.99"), Decimal("10.001"), Decimal("100")],
        "in_stock": [True, False],
        "q": ["ss", "ß", "İ", "i", "é", "σ", "_", "%"],
        "deleted": ["exclude", "only", "include"],
    },
    "orders": {},
}


def test_filter_samples_cover_every_declared_filter() -> None:
    for listing in LISTINGS:
        assert set(SAMPLES[listing.resource]) == {f.param for f in listing.filters}


async def seed(client: httpx.AsyncClient) -> None:
    for i, name in enumerate(NAMES):
        await new_user(
            client,
            email=f"user{i}@example.com",
            name=name,
            age=(i * 17) % 90,
            city=CITIES[i % len(CITIES)],
            is_active=i % 4 != 0,
        )
    for i, name in enumerate(NAMES):
        tags = [name.split()[0][:30], "Straße" if i % 2 else "STRASSE", "ǅ" if i % 3 else "σς"]
        await new_post(
            client,
            author_id=i % 5 + 1,
            title=f"{name} title",
            content=f"The body of post {i}: {NAMES[-1 - i]}",
            tags=tags,
            published=i % 3 == 0,
        )
    for name in ("Bücher", "Spiele"):
        await created(client, "/categories", {"name": name})
    for i, name in enumerate(NAMES):
        body = {
            "name": name,
            "price": str(Decimal(i * 7 % 30) + Decimal("0.99")),
            "stock": i % 3,
            "category_id": [1, 2, None][i % 3],
        }
        product = await created(client, "/products", body)
        if i % 4 == 1:
            assert (await client.delete(f"/products/{product['id']}")).status_code == 204
    for product_id in (3, 5, 8, 9):  # in stock and not deleted
        items = [{"product_id": product_id, "quantity": 1}]
        await created(client, "/orders", {"user_id": 1, "items": items})


async def answers(client: httpx.AsyncClient) -> dict[str, Any]:
    """Ids (or tag names) for every filter value and every sort, per listing."""
    found: dict[str, Any] = {}
    for listing in LISTINGS:
        path = "/users/1/orders" if listing.resource == "orders" else f"/{listing.resource}"
        key = "name" if listing.resource == "tags" else "id"
        for param, values in SAMPLES[listing.resource].items():
            for value in values:
                response = await client.get(path, params={param: value, "limit": 100})
                assert response.status_code == 200, (path, param, value, response.text)
                body = response.json()
                found[f"{path}?{param}={value!r}"] = (
                    body["total"],
                    [item[key] for item in body["items"]],
                )
        for sort in listing.sorts:
            for direction in ("", "-"):
                response = await client.get(path, params={"sort": direction + sort, "limit": 100})
                assert response.status_code == 200, response.text
                found[f"{path}?sort={direction}{sort}"] = [
                    item[key] for item in response.json()["items"]
                ]
    return found


async def test_every_filter_and_sort_answers_the_same_on_every_backend(
    database_urls: dict[str, str],
) -> None:
    results = {}
    for case in ENABLED:
        async with running_app(case, database_urls[case.id]) as app:  # noqa: SIM117 (the token needs the app)
            async with http_client(app, await admin_token(app)) as client:
                await seed(client)
                results[case.id] = await answers(client)
    reference = results["sqlite"]
    # The data makes the filters bite: most sampled values match some but not all.
    totals = [value[0] for value in reference.values() if isinstance(value, tuple)]
    assert sum(0 < total < len(NAMES) for total in totals) > len(totals) // 2
    for name, found in results.items():
        differing = [key for key in reference if found[key] != reference[key]]
        assert differing == [], f"{name} differs from sqlite: {differing[:5]}"
