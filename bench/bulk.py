"""Bulk inserts against one-by-one creation, through the API, on each backend.

``python -m bench.bulk [--backends sqlite,postgres,mariadb] [--count 4000]``
starts the real service on a fresh database per backend and creates the same
number of products twice, as an admin: with ``POST /products`` one request at
a time from 8 concurrent clients, and with ``POST /products/bulk`` in batches
of 1000. It prints products per second for each, and their ratio. (Products,
not users: a sign-up's cost is its Argon2id hash, the same either way.)
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bench import accounts
from bench.config import BACKENDS, BenchConfig
from bench.dataset import ADMIN_USERNAME
from bench.runner import backend_label, fresh_database
from bench.server import api_command, free_port, running
from storage.factory import migrate_storage, open_storage
from storage.types import NewUser

CLIENTS = 8
BATCH = 1000


def products(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {"name": f"Bulk product {i}", "price": f"{1 + i % 500}.99", "stock": i % 50}
        for i in range(start, start + count)
    ]


async def one_by_one(base_url: str, token: str, bodies: list[dict[str, Any]]) -> float:
    """Seconds to create ``bodies`` with one request each, ``CLIENTS`` at a time."""
    queue = list(bodies)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=headers) as client:

        async def worker() -> None:
            while queue:
                response = await client.post("/products", json=queue.pop())
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        return time.perf_counter() - started


async def in_batches(base_url: str, token: str, bodies: list[dict[str, Any]]) -> float:
    """Seconds to create ``bodies`` with ``POST /products/bulk``, ``BATCH`` at a time."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=120, headers=headers) as client:
        started = time.perf_counter()
        for first in range(0, len(bodies), BATCH):
            response = await client.post("/products/bulk", json=bodies[first : first + BATCH])
            response.raise_for_status()
        return time.perf_counter() - started


def measure(name: str, count: int, mongo_url: str | None) -> dict[str, float]:
    config = BenchConfig(mongo_url=mongo_url)
    with fresh_database(name, config) as (backend, url):
        asyncio.run(migrate_storage(backend, database_url=url, mongo_url=url))
        asyncio.run(_create_admin(backend, url))
        variable = "DATABASE_URL" if backend == "sql" else "MONGO_URL"
        env = {
            "STORAGE_BACKEND": backend,
            variable: url,
            "LOG_LEVEL": "warning",
            "ENVIRONMENT": "development",
        }
        port = free_port()
        with running(api_command(port, 1), env, port, "/health") as server:
            token = accounts.admin_token(server.base_url)
            single = asyncio.run(one_by_one(server.base_url, token, products(0, count)))
            bulk = asyncio.run(in_batches(server.base_url, token, products(count, count)))
    return {"one_by_one": count / single, "bulk": count / bulk, "ratio": single / bulk}


async def _create_admin(backend: str, url: str) -> None:
    storage = await open_storage(backend, database_url=url, mongo_url=url)  # type: ignore[arg-type]
    try:
        admin = NewUser(
            username=ADMIN_USERNAME,
            name="Bench admin",
            email="admin@example.com",
            age=0,
            city="Oslo",
            role="admin",
            password_hash=accounts.password_hash(),
        )
        await storage.users.create(admin)
    finally:
        await storage.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres,mariadb")
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--mongo-url")
    args = parser.parse_args(argv)
    console = Console()
    table = Table(title=f"Creating {args.count} products through the API (products/s)")
    for column in ("backend", "one by one (8 clients)", f"bulk ({BATCH} a request)", "bulk/one"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for name in args.backends.split(","):
        if name not in BACKENDS:
            parser.error(f"unknown backend {name!r}")
        config = BenchConfig(mongo_url=args.mongo_url)
        label = backend_label(name, config)
        console.print(f"{label}: measuring")
        rates = measure(name, args.count, args.mongo_url)
        table.add_row(
            label, f"{rates['one_by_one']:.0f}", f"{rates['bulk']:.0f}", f"{rates['ratio']:.1f}x"
        )
    console.print(table)


if __name__ == "__main__":
    main()
