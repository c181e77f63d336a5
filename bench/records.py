"""The benchmark's dataset as transfer records, plus orders: to fill any store fast.

``bench.dataset`` rows become ``storage.types.records`` records (some edited,
some products deleted) and orders are added, so any store can be filled
through ``TransferStore.import_`` without store-specific code, a batch at a time.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from bench.accounts import with_password
from bench.dataset import EPOCH, Sizes, categories, posts, products, users
from storage.protocol import TransferStore
from storage.types.records import (
    CategoryRecord,
    OrderLineRecord,
    OrderRecord,
    PostRecord,
    ProductRecord,
    Record,
    UserRecord,
)


@dataclass(frozen=True)
class RecordSizes:
    """The dataset's sizes, orders included."""

    users: int = 10_000
    posts: int = 20_000
    categories: int = 1_000
    products: int = 10_000
    orders: int = 5_000

    def base(self) -> Sizes:
        """The sizes ``bench.dataset`` takes."""
        return Sizes(self.users, self.posts, self.categories, self.products)

    def total(self) -> int:
        """Records of every kind together."""
        return self.users + self.posts + self.categories + self.products + self.orders


def _version(rng: random.Random) -> int:
    # Most records were never edited; some were, a few often.
    return rng.choice([1, 1, 1, 2, 3, 7])


def records(sizes: RecordSizes, seed: int = 1) -> Iterator[tuple[type[Record], Iterator[Record]]]:
    """Each kind of record with a generator of its records, in the order a copy writes them."""
    rng = random.Random(f"records-{seed}")
    base = sizes.base()
    yield (
        UserRecord,
        (UserRecord(**row, version=_version(rng)) for row in with_password(users(base, seed))),
    )
    yield PostRecord, (PostRecord(**row, version=_version(rng)) for row in posts(base, seed))
    yield (
        CategoryRecord,
        (CategoryRecord(**row, version=_version(rng)) for row in categories(base, seed)),
    )
    yield (
        ProductRecord,
        (
            ProductRecord(
                **row,
                version=_version(rng),
                # One in ten is deleted, a day after it was made.
                deleted_at=row["updated_at"].replace(day=2) if rng.random() < 0.1 else None,
            )
            for row in products(base, seed)
        ),
    )
    yield OrderRecord, _orders(sizes, rng)


def _orders(sizes: RecordSizes, rng: random.Random) -> Iterator[Record]:
    for order_id in range(1, sizes.orders + 1):
        picked = rng.sample(range(1, sizes.products + 1), min(rng.randint(1, 4), sizes.products))
        lines = []
        for product_id in picked:
            price = Decimal(rng.randint(100, 100_000)) / 100
            quantity = rng.randint(1, 5)
            lines.append(
                OrderLineRecord(
                    product_id=product_id,
                    name=f"Product {product_id}",
                    unit_price=price,
                    quantity=quantity,
                    line_total=price * quantity,
                )
            )
        cancelled = rng.random() < 0.2
        placed = EPOCH + timedelta(days=1, seconds=order_id, milliseconds=order_id % 1000)
        yield OrderRecord(
            id=order_id,
            user_id=rng.randint(1, sizes.users),
            status="cancelled" if cancelled else "placed",
            lines=lines,
            total=sum((line.line_total for line in lines), Decimal(0)),
            created_at=placed,
            updated_at=placed,
            version=2 if cancelled else 1,
        )


def batches[T](items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


async def fill(
    transfer: TransferStore, sizes: RecordSizes, seed: int = 1, size: int = 1000
) -> None:
    """Import the dataset into an empty store; its id sources then continue after it."""
    for kind, generated in records(sizes, seed):
        for batch in batches(generated, size):
            await transfer.import_(kind, batch)
        await transfer.continue_ids(kind, 0)
