"""One process's writers on a SQLite file take turns instead of racing SQLite's busy handler.

SQLite's busy handler polls for the write lock rather than queueing for it,
so with many writers in one process some waited past the busy timeout while
later ones got in, and answered 503 "database is locked" under a load the
database could serve (the benchmark's 32 concurrent writers did). Writers of
one process now queue in arrival order before ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from storage.factory import migrate_storage, open_storage
from storage.timeouts import Timeouts
from storage.types import ProductCreate, ProductUpdate

pytestmark = pytest.mark.anyio

WRITERS = 60


async def test_concurrent_writers_outlast_a_short_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    await migrate_storage("sql", database_url=url, mongo_url="")
    # A busy timeout far shorter than the queue of 60 writers takes to drain:
    # only queueing, not SQLite's polling, can let every one of them through.
    timeouts = Timeouts(operation=30.0, statement=0.02)
    storage = await open_storage("sql", database_url=url, mongo_url="", timeouts=timeouts)
    try:
        product = await storage.products.create(
            ProductCreate(name="Kettle", price=Decimal("20.00"), stock=0)
        )

        async def restock(stock: int) -> None:
            await storage.products.update(product.id, ProductUpdate(stock=stock))

        outcomes = await asyncio.gather(
            *(restock(stock) for stock in range(1, WRITERS + 1)), return_exceptions=True
        )
        failures = [repr(outcome) for outcome in outcomes if outcome is not None]
        assert failures == [], failures
        assert (await storage.products.get(product.id)).stock in range(1, WRITERS + 1)
    finally:
        await storage.close()
