"""Database round trips per request, counted in process on the benchmark's own database."""

from __future__ import annotations

from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from api.main import create_app
from api.settings import Settings
from bench import accounts
from bench.config import BenchConfig
from bench.dataset import ADMIN_USERNAME
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
    settings = Settings(
        _env_file=None,
        storage_backend=backend,
        environment="development",
        database_url=url if backend == "sql" else "sqlite:///./unused.db",
        mongo_url=url if backend == "mongo" else "mongodb://localhost/unused",
    )
    app = create_app(settings)
    counts: dict[str, int] = {}
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = {"username": ADMIN_USERNAME, "password": accounts.password()}
            token = (await client.post("/auth/token", data=login)).json()["access_token"]
            # Writes as the admin; reads anonymous, as the load's are. Checking the
            # token costs a round trip of its own, counted for the writes.
            client.headers["Authorization"] = f"Bearer {token}"
            for name, (method, path, body) in REQUESTS.items():
                headers = {} if method != "GET" else {"Authorization": ""}
                with counting_round_trips(app.state.storage) as sent:
                    response = await client.request(method, path, json=body, headers=headers)
                if response.status_code >= 400:
                    raise RuntimeError(f"{method} {path} answered {response.status_code}")
                counts[name] = len(sent)
    return counts
