"""Bulk inserts against one-by-one creation, through the API, on each backend.

``python -m bench.bulk [--backends sqlite,postgres,mariadb] [--users 4000]``
starts the real service on a fresh database per backend and creates the same
number of users twice: with ``POST /users`` one request at a time from 8
concurrent clients, and with ``POST /users/bulk`` in batches of 1000. It
prints users per second for each, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bench.config import BACKENDS, BenchConfig
from bench.runner import backend_label, fresh_database
from bench.server import api_command, free_port, running
from storage.factory import migrate_storage

CLIENTS = 8
BATCH = 1000


def users(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {"name": f"Bulk user {i}", "email": f"bulk{i}@example.com", "age": i % 90, "city": "Oslo"}
        for i in range(start, start + count)
    ]


async def one_by_one(base_url: str, bodies: list[dict[str, Any]]) -> float:
    """Seconds to create ``bodies`` with one request each, ``CLIENTS`` at a time."""
    queue = list(bodies)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:

        async def worker() -> None:
            while queue:
                response = await client.post("/users", json=queue.pop())
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        return time.perf_counter() - started


async def in_batches(base_url: str, bodies: list[dict[str, Any]]) -> float:
    """Seconds to create ``bodies`` with ``POST /users/bulk``, ``BATCH`` at a time."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        started = time.perf_counter()
        for first in range(0, len(bodies), BATCH):
            response = await client.post("/users/bulk", json=bodies[first : first + BATCH])
            response.raise_for_status()
        return time.perf_counter() - started


def measure(name: str, count: int, mongo_url: str | None) -> dict[str, float]:
    config = BenchConfig(mongo_url=mongo_url)
    with fresh_database(name, config) as (backend, url):
        asyncio.run(migrate_storage(backend, database_url=url, mongo_url=url))  # type: ignore[arg-type]
        variable = "DATABASE_URL" if backend == "sql" else "MONGO_URL"
        env = {"STORAGE_BACKEND": backend, variable: url, "LOG_LEVEL": "warning"}
        port = free_port()
        with running(api_command(port, 1), env, port, "/health") as server:
            single = asyncio.run(one_by_one(server.base_url, users(0, count)))
            bulk = asyncio.run(in_batches(server.base_url, users(count, count)))
    return {"one_by_one": count / single, "bulk": count / bulk, "ratio": single / bulk}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres,mariadb")
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--mongo-url")
    args = parser.parse_args(argv)
    console = Console()
    table = Table(title=f"Creating {args.users} users through the API (users/s)")
    for column in ("backend", "one by one (8 clients)", f"bulk ({BATCH} a request)", "bulk/one"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for name in args.backends.split(","):
        if name not in BACKENDS:
            parser.error(f"unknown backend {name!r}")
        config = BenchConfig(mongo_url=args.mongo_url)
        label = backend_label(name, config)
        console.print(f"{label}: measuring")
        rates = measure(name, args.users, args.mongo_url)
        table.add_row(
            label, f"{rates['one_by_one']:.0f}", f"{rates['bulk']:.0f}", f"{rates['ratio']:.1f}x"
        )
    console.print(table)


if __name__ == "__main__":
    main()
