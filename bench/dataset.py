"""One deterministic dataset, identical on every backend.

Rows are plain dicts of Python values (aware datetimes, ``Decimal`` prices),
generated from a seed; ``bench.loaders`` writes them into any store as records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

Row = dict[str, Any]

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
FIRST = ["Ada", "Alan", "Grace", "Linus", "Barbara", "Edsger", "Margaret", "Dennis", "Frances"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Dijkstra", "Hamilton", "Ritchie"]
CITIES = ["London", "Paris", "Berlin", "Lagos", "Lima", "Osaka", "Austin", "Oslo", "Pune", "Quito"]
WORDS = ["async", "index", "query", "shard", "commit", "cursor", "schema", "latency", "replica"]
NOUNS = ["widget", "gadget", "lamp", "kettle", "chair", "notebook", "cable", "speaker", "mug"]
TAG_COUNT = 200


@dataclass(frozen=True)
class Sizes:
    """How many of each resource the dataset holds."""

    users: int = 10_000
    posts: int = 50_000
    categories: int = 1_000
    products: int = 20_000

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _stamp(index: int) -> datetime:
    return EPOCH + timedelta(seconds=index, milliseconds=index % 1000)


def tag_names() -> list[str]:
    """The tag vocabulary; posts draw from it."""
    return [f"{WORDS[i % len(WORDS)]}{i:03d}" for i in range(TAG_COUNT)]


# The benchmark logs in as user 1, an admin, to write (posts as anyone, products).
# Its password is only ever stored hashed (``bench.accounts``), like every account's.
ADMIN_USERNAME = "user1"


def users(sizes: Sizes, seed: int) -> Iterator[Row]:
    """Users; the first is the benchmark's admin. Passwords are added hashed by the loaders."""
    rng = random.Random(f"users-{seed}")
    for i in range(1, sizes.users + 1):
        yield {
            "id": i,
            "username": f"user{i}",
            "role": "admin" if i == 1 else "user",
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "email": f"user{i}@example.com",
            "age": rng.randint(18, 90),
            "city": rng.choice(CITIES),
            "is_active": rng.random() < 0.9,
            "created_at": _stamp(i),
            "updated_at": _stamp(i),
        }


def posts(sizes: Sizes, seed: int) -> Iterator[Row]:
    """Posts with ``author_id`` and ``tags`` (sorted, distinct names)."""
    rng = random.Random(f"posts-{seed}")
    vocabulary = tag_names()
    for i in range(1, sizes.posts + 1):
        words = " ".join(rng.choice(WORDS) for _ in range(12))
        yield {
            "id": i,
            "title": f"Post {i} on {rng.choice(WORDS)}",
            "content": f"Notes about {words}.",
            "published": rng.random() < 0.7,
            "author_id": rng.randint(1, sizes.users),
            "tags": sorted(set(rng.sample(vocabulary, rng.randint(0, 4)))),
            "created_at": _stamp(i),
            "updated_at": _stamp(i),
        }


def categories(sizes: Sizes, seed: int) -> Iterator[Row]:
    for i in range(1, sizes.categories + 1):
        name = f"Category {i:05d}"
        yield {
            "id": i,
            "name": name,
            "description": None if i % 3 else f"All about {name.lower()}",
            "created_at": _stamp(i),
            "updated_at": _stamp(i),
        }


def products(sizes: Sizes, seed: int) -> Iterator[Row]:
    rng = random.Random(f"products-{seed}")
    for i in range(1, sizes.products + 1):
        category = rng.randint(1, sizes.categories) if rng.random() < 0.9 else None
        yield {
            "id": i,
            "name": f"{rng.choice(NOUNS).title()} {i}",
            "price": Decimal(rng.randint(100, 100_000)) / 100,
            "stock": 0 if rng.random() < 0.2 else rng.randint(1, 500),
            "category_id": category,
            "created_at": _stamp(i),
            "updated_at": _stamp(i),
        }
