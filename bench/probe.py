"""Database round trips per request, counted in process on the benchmark's own database."""

from __future__ import annotations

from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from api.main import create_app
from api.settings import Settings
from bench.config import BenchConfig
from bench.roundtrips import counting_round_trips

# One representative request per scenario (the k6 workload sends the same shapes).
REQUESTS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "point_read": ("GET", "/users/1", None),
    "list_posts": ("GET", "/posts?limit=50", None),
    "list_posts_limit_10": ("GET", "/posts?limit=10", None),
    "list_posts_limit_100": ("GET", "/posts?limit=100", None),
    "product_search": (
        "GET",
        "/products?min_price=100&max_price=150&in_stock=true&sort=price",
        None,
    ),
    "create_post": (
        "POST",
        "/posts",
        {
            "title": "Round trip probe",
            "content": "Counting what one insert costs.",
            "author_id": 1,
            "tags": ["async", "probe"],
        },
    ),
    "update_product": ("PATCH", "/products/1", {"stock": 5}),
}


async def round_trips_per_scenario(backend: str, url: str, config: BenchConfig) -> dict[str, int]:
    """Statements (SQL) or commands (MongoDB) that each scenario's request costs."""
    if backend == "sql":
        settings = Settings(_env_file=None, storage_backend="sql", database_url=url)
    else:
        settings = Settings(_env_file=None, storage_backend="mongo", mongo_url=url)
    app = create_app(settings)
    counts: dict[str, int] = {}
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, (method, path, body) in REQUESTS.items():
                with counting_round_trips(app.state.storage) as sent:
                    response = await client.request(method, path, json=body)
                if response.status_code >= 400:
                    raise RuntimeError(f"{method} {path} answered {response.status_code}")
                counts[name] = len(sent)
    return counts
