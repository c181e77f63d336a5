"""Write the dataset into a freshly migrated store, through the store's own record mapping.

Every store is filled the way ``python -m api copy`` fills one: the dataset's
rows become ``storage.types.records`` records, which the store's
``TransferStore`` maps to its columns or documents (money in cents on MongoDB
and SQLite, search keys derived, ``txn_guard`` set, tags linked) and then moves
its id source past them so the API's own inserts continue from there. No
second, hand-written mapping: a field added to a stored resource is a record
field (``tests/test_records.py`` holds every store to that), so the loader
cannot leave it behind and write what the store's own schema rejects.

Loading bypasses the API on purpose: it is set-up, not what is measured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from api.copy.endpoints import TIMEOUTS
from bench.accounts import with_password
from bench.dataset import Sizes, categories, posts, products, users
from bench.records import batches
from storage.factory import Backend, open_storage
from storage.types.records import CategoryRecord, PostRecord, ProductRecord, Record, UserRecord

BATCH = 1_000
"""Records per import: one transaction (SQL) or bulk write (MongoDB) each, as a copy makes."""
Progress = Callable[[int], None]
"""Called with the number of rows just written."""


def total_rows(sizes: Sizes) -> int:
    """Rows the loaders report through ``Progress`` (for a progress bar's total)."""
    return sizes.users + sizes.posts + sizes.categories + sizes.products


def dataset_records(sizes: Sizes, seed: int) -> Iterator[tuple[type[Record], Iterator[Record]]]:
    """The benchmark's dataset as records, each kind after those it refers to.

    Never edited (version 1), nothing deleted, no pictures; every account has
    the run's password hash (``bench.accounts``).
    """
    yield (
        UserRecord,
        (UserRecord(**row, picture=None, version=1) for row in with_password(users(sizes, seed))),
    )
    yield PostRecord, (PostRecord(**row, version=1) for row in posts(sizes, seed))
    yield CategoryRecord, (CategoryRecord(**row, version=1) for row in categories(sizes, seed))
    yield (
        ProductRecord,
        (ProductRecord(**row, version=1, deleted_at=None) for row in products(sizes, seed)),
    )


async def load(backend: Backend, url: str, sizes: Sizes, seed: int, progress: Progress) -> None:
    """Load the dataset into the migrated, empty store at ``url`` (``sql`` or ``mongo``)."""
    # A copy's bounds: a batch is not a request, and the stand-in writes slowly.
    storage = await open_storage(
        backend, database_url=url, mongo_url=url, sql_pool_size=2, timeouts=TIMEOUTS
    )
    try:
        for kind, generated in dataset_records(sizes, seed):
            for batch in batches(generated, BATCH):
                await storage.transfer.import_(kind, batch)
                progress(len(batch))
            await storage.transfer.continue_ids(kind, 0)
    finally:
        await storage.close()


__all__ = ["Progress", "dataset_records", "load", "total_rows"]
