"""The benchmark's dataset as transfer records, plus orders: to fill any store fast.

``bench.dataset`` rows become ``storage.types.records`` records (some edited,
some products deleted) and orders and pictures are added (each picture is
some users' picture), so any store can be filled through
``TransferStore.import_`` without store-specific code, a batch at a time.
"""

from __future__ import annotations

import io
import itertools
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from PIL import Image

from api.pictures.processing import process_blocking
from bench.accounts import with_password
from bench.dataset import EPOCH, Sizes, categories, posts, products, users
from storage.protocol import TransferStore
from storage.types.pictures import column_of
from storage.types.records import (
    CategoryRecord,
    OrderLineRecord,
    OrderRecord,
    PictureRecord,
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
    pictures: int = 100
    """Pictures (fewer than users): user ``n`` has picture ``n``, and some share them."""

    def base(self) -> Sizes:
        """The sizes ``bench.dataset`` takes."""
        return Sizes(self.users, self.posts, self.categories, self.products)

    def total(self) -> int:
        """Records of every kind together."""
        kinds = (self.users, self.posts, self.categories, self.products, self.orders)
        return sum(kinds) + min(self.pictures, self.users)


def _version(rng: random.Random) -> int:
    # Most records were never edited; some were, a few often.
    return rng.choice([1, 1, 1, 2, 3, 7])


def records(sizes: RecordSizes, seed: int = 1) -> Iterator[tuple[type[Record], Iterator[Record]]]:
    """Each kind of record with a generator of its records, in the order a copy writes them."""
    rng = random.Random(f"records-{seed}")
    base = sizes.base()
    pictures = list(_pictures(min(sizes.pictures, sizes.users), rng))
    yield PictureRecord, iter(pictures)
    yield (
        UserRecord,
        (
            UserRecord(**row, picture=_picture_of(row["id"], pictures, rng), version=_version(rng))
            for row in with_password(users(base, seed))
        ),
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


def _pictures(count: int, rng: random.Random) -> Iterator[PictureRecord]:
    """``count`` pictures, each a few coloured squares put through the real processing."""
    for picture_id in range(1, count + 1):
        image = Image.new("RGB", (48, 32), tuple(rng.randrange(256) for _ in range(3)))
        for _ in range(4):
            x, y = rng.randrange(40), rng.randrange(24)
            image.paste(tuple(rng.randrange(256) for _ in range(3)), (x, y, x + 8, y + 8))
        out = io.BytesIO()
        image.save(out, "PNG")
        picture = process_blocking(out.getvalue())
        made = EPOCH + timedelta(seconds=picture_id, milliseconds=picture_id % 1000)
        yield PictureRecord(
            id=picture_id,
            digest=picture.digest,
            **{column_of(size): data for size, data in picture.images.items()},
            created_at=made,
            updated_at=made,
            version=1,
        )


def _picture_of(user_id: int, pictures: list[PictureRecord], rng: random.Random) -> str | None:
    # Every picture is somebody's; one user in five after those has one of them too.
    if user_id <= len(pictures):
        return pictures[user_id - 1].digest
    if pictures and rng.random() < 0.2:
        return rng.choice(pictures).digest
    return None


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
