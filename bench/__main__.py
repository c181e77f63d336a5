"""``python -m bench``: the same workload through the same API on each backend.

Prints a table and writes ``results.json`` and ``chart.png`` to a dated folder
under ``--out``. See the README's "Comparing backends".
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.chart import write_chart
from bench.config import BACKENDS, PROFILES, BenchConfig, profile
from bench.dataset import Sizes
from bench.load import k6_version
from bench.report import environment, goals, print_tables, write_json
from bench.runner import STANDIN_LABEL, backend_label, bench_backend


def parse_args(argv: list[str] | None) -> BenchConfig:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument(
        "--quick",
        action="store_const",
        const="quick",
        dest="profile",
        help="the quick profile: SQLite, PostgreSQL and MariaDB, small dataset, short runs",
    )
    parser.add_argument("--backends", help=f"comma-separated, from {', '.join(BACKENDS)}")
    parser.add_argument("--users", type=int)
    parser.add_argument("--posts", type=int)
    parser.add_argument("--categories", type=int)
    parser.add_argument("--products", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--workers", type=int, help="uvicorn workers (default 1)")
    parser.add_argument("--concurrency", type=int, help="closed-loop virtual users")
    parser.add_argument("--seconds", type=float, help="measured seconds per run")
    parser.add_argument("--warmup-seconds", type=float)
    parser.add_argument("--postgres-url", help="server on which a scratch database is made")
    parser.add_argument("--mysql-url", help="server on which a scratch database is made")
    parser.add_argument(
        "--mongo-url",
        help="a MongoDB server (a mongoeco stand-in is measured but labelled as one everywhere)",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    base = PROFILES[args.profile]
    backends = tuple(args.backends.split(",")) if args.backends else None
    if args.mongo_url and backends is None:
        backends = (*base.backends, "mongo")
    for name in backends or ():
        if name not in BACKENDS:
            parser.error(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
    if backends and "mongo" in backends and not args.mongo_url:
        parser.error("--backends mongo needs --mongo-url")
    sizes = Sizes(
        users=args.users or base.sizes.users,
        posts=args.posts or base.sizes.posts,
        categories=args.categories or base.sizes.categories,
        products=args.products or base.sizes.products,
    )
    return profile(
        args.profile,
        backends=backends,
        sizes=sizes,
        seed=args.seed,
        workers=args.workers,
        concurrency=args.concurrency,
        seconds=args.seconds,
        warmup_seconds=args.warmup_seconds,
        postgres_url=args.postgres_url,
        mysql_url=args.mysql_url,
        mongo_url=args.mongo_url,
        out=args.out,
    )


def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv)
    from bench.runner import console

    started = datetime.now(UTC)
    folder = config.out / started.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "environment": environment(k6_version()),
        "settings": config.as_dict(),
        "dataset": config.sizes.as_dict(),
        "backends": {},
    }
    for name in config.backends:
        label = name
        try:
            label = backend_label(name, config)
            console.rule(label)
            result = bench_backend(name, config)
        except Exception as exc:  # one backend failing must not lose the others' figures
            console.print(f"[red]{label} failed: {exc}")
            report.setdefault("failures", {})[label] = str(exc)
            continue
        result["goals"] = goals(result)
        result["standin"] = label == STANDIN_LABEL
        report["backends"][label] = result
    report["seconds_taken"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    if report["backends"]:
        print_tables(console, report)
        console.print(f"chart: {write_chart(folder, report)}")
    console.print(f"results: {write_json(folder, report)} ({report['seconds_taken']} s)")
    if report.get("failures"):
        sys.exit(1)


if __name__ == "__main__":
    main()
