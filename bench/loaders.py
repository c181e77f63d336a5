"""Write the dataset into a freshly migrated store, in that store's own shape.

Bulk inserts bypass the API on purpose: loading is set-up, not what is measured.
Ids are given explicitly, then each store's id source is moved past them so the
API's own inserts continue from there.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import Table, insert, text

from bench import accounts
from bench.dataset import Row, Sizes, categories, posts, products, tag_names, users
from storage.sql.engine import create_engine
from storage.sql.tables import Base, post_tags
from storage.types import CATEGORIES, POSTS, PRODUCTS, USERS, Listing

BATCH = 2_000
TABLES = Base.metadata.tables
Progress = Callable[[int], None]
"""Called with the number of rows just written."""


def batches(rows: Iterable[Row], size: int = BATCH) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def total_rows(sizes: Sizes) -> int:
    """Rows the loaders report through ``Progress`` (for a progress bar's total)."""
    return sizes.users + sizes.posts + sizes.categories + sizes.products


async def load_sql(url: str, sizes: Sizes, seed: int, progress: Progress) -> None:
    """Load the dataset into the migrated, empty SQL database at ``url``."""
    engine = create_engine(url)
    vocabulary = {name: i for i, name in enumerate(tag_names(), start=1)}
    try:
        async with engine.begin() as conn:

            async def write(table: Table, rows: Iterable[Row]) -> None:
                for batch in batches(rows):
                    await conn.execute(insert(table), batch)
                    progress(len(batch))

            await write(TABLES["users"], accounts.with_password(keyed(USERS, users(sizes, seed))))
            await conn.execute(
                insert(TABLES["tags"]), [{"id": i, "name": n} for n, i in vocabulary.items()]
            )
            for batch in batches(posts(sizes, seed)):
                links = [
                    {"post_id": row["id"], "tag_id": vocabulary[tag]}
                    for row in batch
                    for tag in row["tags"]
                ]
                rows = [
                    POSTS.with_keys({k: v for k, v in row.items() if k != "tags"}) for row in batch
                ]
                await conn.execute(insert(TABLES["posts"]), rows)
                if links:
                    await conn.execute(insert(post_tags), links)
                progress(len(batch))
            await write(TABLES["categories"], keyed(CATEGORIES, categories(sizes, seed)))
            await write(TABLES["products"], keyed(PRODUCTS, products(sizes, seed)))
            if engine.dialect.name == "postgresql":
                for table in ("users", "posts", "tags", "categories", "products"):
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
    finally:
        await engine.dispose()


def keyed(listing: Listing, rows: Iterable[Row]) -> Iterator[Row]:
    """``rows`` with their resource's key fields (as every store keeps them)."""
    for row in rows:
        yield listing.with_keys(row)


async def load(backend: str, url: str, sizes: Sizes, seed: int, progress: Progress) -> None:
    """Load into ``url`` on ``backend`` (``sql`` or ``mongo``)."""
    if backend == "sql":
        await load_sql(url, sizes, seed, progress)
    else:
        from bench.mongo_loader import load_mongo

        await load_mongo(url, sizes, seed, progress)


__all__ = ["Progress", "load", "total_rows"]
