"""How fast ``python -m api copy`` moves records, hop by hop along a chain of stores.

``python -m bench.copy_rate [--chain sqlite,postgres,mongo,mariadb,sqlite] [--scale 1]``
fills a SQLite file with the benchmark's dataset plus orders (46,000 records
at scale 1), then copies it along the chain, each hop into a fresh database,
exactly as the command does (batches of 1000, read ahead, then verified).
It prints records per second for each hop's copy and how long its
verification took. PostgreSQL and MariaDB are the local servers
(``--postgres-url``, ``--mysql-url``); without ``--mongo-url`` a mongoeco
stand-in is started and its figures are labelled as such.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace

from rich.console import Console
from rich.table import Table

from api.copy.command import copy_between
from api.copy.copier import BATCH_SIZE, Options
from bench.config import BACKENDS, BenchConfig
from bench.records import RecordSizes, fill
from bench.runner import backend_label, fresh_database
from storage.factory import migrate_storage, open_storage

DEFAULT_CHAIN = "sqlite,postgres,mongo,mariadb,sqlite"


@contextmanager
def standin() -> Iterator[str]:
    """A mongoeco stand-in server (memory engine) in its own process; its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "storage.mongo.standin"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


async def _filled(url: str, sizes: RecordSizes) -> None:
    await migrate_storage("sql", database_url=url, mongo_url="")
    storage = await open_storage("sql", database_url=url, mongo_url="")
    try:
        await fill(storage.transfer, sizes)
    finally:
        await storage.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.copy_rate", description=__doc__)
    parser.add_argument("--chain", default=DEFAULT_CHAIN, help="stores in order; sqlite first")
    parser.add_argument("--scale", type=float, default=1.0, help="dataset size relative to 46k")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="records per batch")
    parser.add_argument("--postgres-url", default=BenchConfig.postgres_url)
    parser.add_argument("--mysql-url", default=BenchConfig.mysql_url)
    parser.add_argument("--mongo-url")
    args = parser.parse_args(argv)
    chain = args.chain.split(",")
    if chain[0] != "sqlite" or any(name not in BACKENDS for name in chain):
        parser.error(f"--chain: SQLite first, then any of {', '.join(BACKENDS)}")
    base = RecordSizes()
    sizes = RecordSizes(
        *(max(1, round(getattr(base, kind) * args.scale)) for kind in base.__dataclass_fields__)
    )
    console = Console()
    title = f"python -m api copy, {sizes.total():,} records a hop, batches of {args.batch_size}"
    table = Table(title=title)
    for column in ("hop", "copy s", "records/s", "verify s"):
        table.add_column(column, justify="left" if column == "hop" else "right")
    with ExitStack() as stack:
        mongo_url = args.mongo_url
        if "mongo" in chain and not mongo_url:
            mongo_url = stack.enter_context(standin())
        config = replace(
            BenchConfig(),
            postgres_url=args.postgres_url,
            mysql_url=args.mysql_url,
            mongo_url=mongo_url,
        )
        urls = [stack.enter_context(fresh_database(name, config))[1] for name in chain]
        console.print(f"filling {chain[0]} with {sizes.total():,} records")
        asyncio.run(_filled(urls[0], sizes))
        labels = [backend_label(name, config) for name in chain]
        total_records = total_seconds = 0.0
        for hop in range(1, len(chain)):
            started = time.perf_counter()
            options = Options(batch_size=args.batch_size)
            outcome = asyncio.run(copy_between(urls[hop - 1], urls[hop], options))
            verifying = time.perf_counter() - started - outcome.seconds
            if not outcome.verdict.ok:
                raise SystemExit(outcome.verdict.line())
            total_records += outcome.written
            total_seconds += outcome.seconds
            table.add_row(
                f"{labels[hop - 1]} → {labels[hop]}",
                f"{outcome.seconds:.1f}",
                f"{outcome.rate:,.0f}",
                f"{verifying:.1f}",
            )
        table.add_row(
            "whole chain", f"{total_seconds:.1f}", f"{total_records / total_seconds:,.0f}", ""
        )
    console.print(table)


if __name__ == "__main__":
    main()
