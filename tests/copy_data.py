"""A generated dataset written through the API, and everything the API shows of it.

``load`` writes, as the admin, a few hundred records of every kind from a fixed seed, the
way clients would: Unicode text, edits (versions above 1), deleted and
restored products, cancelled orders, posts with and without tags, categories
without products, pictures (some shared, some replaced or removed), deleted
users, posts and pictures (the newest of each among them, so the id sources
stand above the highest stored id). ``snapshot`` reads back
every page of every list in several orders and every record on its own, ETags
included, and every picture in every size: two stores holding the same data
give equal snapshots.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from typing import Any

import httpx
from PIL import Image

from tests.helpers import created

NAMES = [
    "Zoë Ångström",
    "Ada Straße",
    "İlker Işık",
    "Σίσυφος",
    "Ñandú",
    "李小龍",
    "Grace 😀",
    "Émile",
]
CITIES = ["Köln", "İzmir", "São Paulo", "Αθήνα", "東京", "Reykjavík", "Łódź", "Unknown"]
TAGS = ["straße", "ελληνικά", "日本", "café", "rust", "ǆungla", "naïve", "math", "i̇stanbul", "😀"]
WORDS = ["engine", "Straße", "ΣΟΦΊΑ", "naïve", "über", "日本語", "déjà", "emoji😀", "code", "data"]


@dataclass(frozen=True)
class Sizes:
    """How many of each kind ``load`` writes (before deletions)."""

    users: int = 240
    posts: int = 300
    categories: int = 40
    products: int = 300
    orders: int = 200
    pictures: int = 12


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


async def _ok(response: httpx.Response, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200,)), response.text
    return response.json() if response.content else None


async def load(client: httpx.AsyncClient, sizes: Sizes = Sizes(), seed: int = 7) -> None:
    """Write the dataset through ``client`` into an empty store."""
    rng = random.Random(seed)
    user_ids: list[int] = []
    for start in range(0, sizes.users, 100):
        batch = [
            {
                "username": f"person.{i}",
                "name": f"{rng.choice(NAMES)} {i}",
                "email": f"Person.{i}@Example.com",
                "age": rng.randint(0, 150),
                "city": rng.choice(CITIES),
            }
            for i in range(start + 1, min(start + 100, sizes.users) + 1)
        ]
        made = await _ok(await client.post("/users/bulk", json=batch), 201)
        user_ids += [user["id"] for user in made]
    for user_id in rng.sample(user_ids, sizes.users // 10):
        await _ok(await client.patch(f"/users/{user_id}", json={"city": rng.choice(CITIES)}))
    for user_id in rng.sample(user_ids, sizes.users // 5):
        await _ok(await client.patch(f"/users/{user_id}", json={"is_active": False}))

    for i in range(1, sizes.categories + 1):
        description = None if i % 3 else f"Tout sur {rng.choice(WORDS)} n°{i}"
        await created(client, "/categories", {"name": f"Catégorie {i}", "description": description})
    for category_id in range(1, sizes.categories + 1, 7):
        await _ok(await client.patch(f"/categories/{category_id}", json={"description": None}))

    # The last quarter of the categories get no products.
    filled = max(1, sizes.categories * 3 // 4)
    for start in range(0, sizes.products, 100):
        batch = [
            {
                "name": f"{_text(rng, 2)} {i}",
                "price": f"{rng.randint(1, 99_999)}.{rng.randint(0, 99):02d}",
                "stock": rng.randint(50, 500),
                "category_id": rng.choice([None, *range(1, filled + 1)]),
            }
            for i in range(start + 1, min(start + 100, sizes.products) + 1)
        ]
        await _ok(await client.post("/products/bulk", json=batch), 201)
    for product_id in rng.sample(range(1, sizes.products + 1), sizes.products // 10):
        change = {"price": "0.01"} if product_id % 2 else {"stock": rng.randint(50, 80)}
        await _ok(await client.patch(f"/products/{product_id}", json=change))
    deleted = rng.sample(range(1, sizes.products + 1), sizes.products // 10)
    for product_id in deleted:
        await _ok(await client.delete(f"/products/{product_id}"), 204)
    for product_id in deleted[:5]:
        await _ok(await client.post(f"/products/{product_id}/restore"))

    for i in range(1, sizes.posts + 1):
        body = {
            "title": f"{_text(rng, 2)} n°{i}",
            "content": f"{_text(rng, 8)} — {rng.choice(NAMES)} écrit beaucoup.",
            "author_id": rng.choice(user_ids),
            "published": rng.random() < 0.5,
            "tags": rng.sample(TAGS, rng.choice([0, 0, 1, 2, 3])),
        }
        post = await created(client, "/posts", body)
        if i % 9 == 0:
            await _ok(await client.post(f"/posts/{post['id']}/publish"))
        if i % 11 == 0:
            await _ok(await client.patch(f"/posts/{post['id']}", json={"tags": ["math"]}))

    live = sorted(set(range(1, sizes.products + 1)) - set(deleted[5:]))
    for i in range(1, sizes.orders + 1):
        lines = rng.sample(live, rng.randint(1, 4))
        body = {
            "user_id": rng.choice(user_ids),
            "items": [{"product_id": p, "quantity": rng.randint(1, 3)} for p in lines],
        }
        order = await created(client, "/orders", body)
        if i % 5 == 0:
            await _ok(await client.post(f"/orders/{order['id']}/cancel"))

    await _pictures(client, rng, user_ids[:-1], sizes.pictures)
    # The newest user (who has an order) and the newest post go: their ids must stay unused.
    newest_user = user_ids[-1]
    await created(
        client,
        "/orders",
        {"user_id": newest_user, "items": [{"product_id": live[0], "quantity": 1}]},
    )
    await _ok(await client.delete(f"/users/{newest_user}"), 204)
    posts = (await client.get("/posts", params={"sort": "-id", "limit": 1})).json()["items"]
    await _ok(await client.delete(f"/posts/{posts[0]['id']}"), 204)


def _png(rng: random.Random, width: int) -> bytes:
    image = Image.new("RGB", (width, 30), tuple(rng.randrange(256) for _ in range(3)))
    image.paste(tuple(rng.randrange(256) for _ in range(3)), (0, 0, width // 2, 15))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def _pictures(
    client: httpx.AsyncClient, rng: random.Random, user_ids: list[int], count: int
) -> None:
    """``count`` pictures for twice as many users (shared), a few removed, the newest gone."""

    async def put(user_id: int, png: bytes) -> None:
        files = {"picture": ("me.png", png, "image/png")}
        await _ok(await client.put(f"/users/{user_id}/picture", files=files))

    pngs = [_png(rng, 30 + i) for i in range(count)]
    owners = rng.sample(user_ids, min(len(user_ids), 2 * count))
    for n, user_id in enumerate(owners):
        await put(user_id, pngs[n % count])
    for user_id in owners[:3]:
        await _ok(await client.delete(f"/users/{user_id}/picture"))
    await put(owners[-1], _png(rng, 200))  # the newest picture, replaced at once:
    await put(owners[-1], pngs[0])  # its id must stay unused


LISTS: dict[str, list[dict[str, Any]]] = {
    "/users": [
        {},
        {"sort": "-name"},
        {"sort": "age"},
        {"sort": "-created_at"},
        {"name": "STRASSE"},
        {"city": "istanbul"},
        {"city": "i̇zmir"},
        {"is_active": "false", "sort": "-id"},
    ],
    "/posts": [
        {},
        {"sort": "-title"},
        {"sort": "created_at"},
        {"tag": "STRASSE"},
        {"tag": "ǅungla"},
        {"q": "σοφία"},
        {"published": "true", "sort": "-id"},
    ],
    "/tags": [{}, {"sort": "-post_count"}],
    "/categories": [{}, {"sort": "-name"}],
    "/products": [
        {},
        {"deleted": "include", "sort": "-price"},
        {"deleted": "only", "sort": "name"},
        {"sort": "-stock"},
        {"q": "ÜBER", "in_stock": "true"},
        {"min_price": "10", "max_price": "500.5", "sort": "price"},
    ],
}
"""Lists read in full, with their filters and orders: key fields, money, deleted products."""


async def _all_pages(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> list[Any]:
    pages = []
    query = {**params, "limit": 100}
    while True:
        page = await _ok(await client.get(path, params=query))
        pages.append(page)
        if page["next_cursor"] is None:
            return pages
        query = {**params, "limit": 100, "after": page["next_cursor"]}


async def _one(client: httpx.AsyncClient, path: str) -> tuple[int, Any, str | None]:
    response = await client.get(path)
    return response.status_code, response.json(), response.headers.get("etag")


async def snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    """Everything the API shows: every list (every page), every record alone with its ETag."""
    shown: dict[str, Any] = {}
    for path, variants in LISTS.items():
        for params in variants:
            shown[f"{path} {sorted(params.items())}"] = await _all_pages(client, path, params)
    shown["/products?skip=55"] = await _ok(await client.get("/products", params={"skip": 55}))
    highest = {}
    for path in ("/users", "/posts", "/categories", "/products"):
        first = await _ok(await client.get(path, params={"sort": "-id", "limit": 1}))
        highest[path] = first["items"][0]["id"] + 2  # and a missing one or two past the end
    orders = 0
    for user_id in range(1, highest["/users"] + 1):
        shown[f"/users/{user_id}"] = await _one(client, f"/users/{user_id}")
        if user_id % 4 == 0:
            shown[f"/users/{user_id}/posts"] = await _one(client, f"/users/{user_id}/posts")
        mine = await _one(client, f"/users/{user_id}/orders?limit=100")
        shown[f"/users/{user_id}/orders"] = mine
        if mine[0] == 200:
            orders = max([orders, *(order["id"] for order in mine[1]["items"])])
    for path, last in highest.items():
        for record_id in range(1, last + 1):
            shown[f"{path}/{record_id}"] = await _one(client, f"{path}/{record_id}")
    urls = {
        record[1].get("image_url") for key, record in shown.items() if key.startswith("/users/")
    }
    for url in sorted(url for url in urls if url):
        for size in ("64", "128", "256"):
            served = await client.get(url.rsplit("/", 1)[0] + "/" + size)
            shown[f"{url} {size}"] = (
                served.status_code,
                hashlib.sha256(served.content).hexdigest(),
                served.headers.get("etag"),
            )
    for order_id in range(1, orders + 3):
        shown[f"/orders/{order_id}"] = await _one(client, f"/orders/{order_id}")
    return shown
