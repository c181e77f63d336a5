"""Run the benchmark for each backend: fresh database, load, measure, tear down."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from bench import accounts
from bench.ceiling import database_ceiling, server_version
from bench.config import BenchConfig
from bench.databases import mongo_database, sql_database
from bench.load import (
    BASELINE_SCENARIOS,
    SCENARIOS,
    closed_loop,
    open_loop,
    run_k6,
)
from bench.loaders import load, total_rows
from bench.pages import deep_pages
from bench.probe import round_trips_per_scenario
from bench.server import (
    OBSERVABILITY_OFF,
    OBSERVABILITY_ON,
    SERVER_TIMING_ONLY,
    Server,
    api_command,
    baseline_command,
    free_port,
    running,
)
from storage.factory import Backend, migrate_storage

# Wide enough for the tables when the output goes to a file or a CI log.
console = Console(width=None if Console().is_terminal else 150)


@contextmanager
def fresh_database(name: str, config: BenchConfig) -> Iterator[tuple[Backend, str]]:
    """Yield ``(storage_backend, url)`` of an empty database for backend ``name``."""
    if name == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield "sql", f"sqlite:///{Path(folder) / 'bench.db'}"
    elif name == "postgres":
        with sql_database(config.postgres_url, prefix="bench") as url:
            yield "sql", url
    elif name == "mariadb":
        with sql_database(config.mysql_url, prefix="bench") as url:
            yield "sql", url
    elif name == "mongo":
        if not config.mongo_url:
            raise ValueError("the mongo backend needs --mongo-url")
        with mongo_database(config.mongo_url, prefix="bench") as url:
            yield "mongo", url
    else:
        raise ValueError(f"unknown backend {name!r}")


STANDIN_LABEL = "mongo (mongoeco stand-in, not MongoDB)"
"""How every table and chart names a run against the stand-in: its speed says nothing
about MongoDB's."""


async def _is_standin(url: str) -> bool:
    from storage.mongo.connection import connect

    connection = connect(url)
    try:
        await connection.ping()
        return connection.is_standin
    finally:
        await connection.close()


def backend_label(name: str, config: BenchConfig) -> str:
    """The name a backend's figures are reported under (the stand-in is never "mongo")."""
    if name == "mongo" and config.mongo_url and asyncio.run(_is_standin(config.mongo_url)):
        return STANDIN_LABEL
    return name


STANDIN_MAX_ROWS = 5_000
"""The most rows the bench loads into the stand-in. mongoeco 4.11 compares each inserted
document's integer ``_id`` with every one stored before it, so loading takes quadratic
time (about 20 µs per comparison here: 5,000 rows take minutes, the quick profile's
16,200 most of an hour, the full profile's days)."""


def check_standin_size(name: str, config: BenchConfig) -> None:
    """Refuse, with what to do instead, a dataset the stand-in would take hours to load."""
    rows = total_rows(config.sizes)
    if rows > STANDIN_MAX_ROWS and backend_label(name, config) == STANDIN_LABEL:
        raise ValueError(
            f"{rows:,} rows would take the mongoeco stand-in hours to load (it checks every "
            f"stored id per insert); use --profile smoke, or sizes adding up to at most "
            f"{STANDIN_MAX_ROWS:,} (--users --posts --categories --products)"
        )


def _load_with_progress(backend: Backend, url: str, config: BenchConfig) -> None:
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("loading dataset", total=total_rows(config.sizes))
        asyncio.run(load(backend, url, config.sizes, config.seed, lambda n: bar.advance(task, n)))


def _warm_up(
    server: Server, scenarios: tuple[str, ...], config: BenchConfig, env: dict[str, str]
) -> None:
    """Run every scenario once, unmeasured: caches, pools and buffers reach their size.

    No warm-up at all with ``warmup_seconds=0`` (the smoke profile, which measures nothing).
    """
    if config.warmup_seconds <= 0:
        return
    for scenario in scenarios:
        warmup = closed_loop(config.concurrency, config.warmup_seconds)
        run_k6(server.base_url, scenario, warmup, env)


def _measure(server: Server, scenario: str, config: BenchConfig, env: dict[str, str]) -> Any:
    """Measure ``scenario`` in a closed loop (after ``_warm_up``)."""
    return run_k6(server.base_url, scenario, closed_loop(config.concurrency, config.seconds), env)


def _one_client(
    server: Server, scenario: str, config: BenchConfig, env: dict[str, str]
) -> dict[str, Any]:
    """``scenario`` from a single client: the time in the store without queueing.

    Under ``concurrency`` clients the ``Server-Timing`` figures mostly measure
    requests waiting for the one event loop (before a statement goes out and
    after its answer is back), in ``db`` and ``total`` alike, so every store
    looks the same; from one client at a time ``db`` is the store's own time.
    """
    load = closed_loop(1, config.one_client_seconds)
    return dict(run_k6(server.base_url, scenario, load, env).as_dict())


def _point_read_with(
    name: str, state: str, env: dict[str, str], config: BenchConfig, k6: dict[str, str]
) -> dict[str, Any]:
    """The point read on a server of its own started with ``env``."""
    port = free_port()
    with running(api_command(port, config.workers), env, port, "/health") as server:
        _warm_up(server, ("point_read",), config, k6)
        console.print(f"  {name}: point_read, observability {state}")
        return dict(_measure(server, "point_read", config, k6).as_dict())


def _observability(
    name: str, env: dict[str, str], timing: dict[str, Any], config: BenchConfig, k6: dict[str, str]
) -> dict[str, Any]:
    """The point read with everything off and everything on, beside ``timing`` (the main runs').

    ``timing`` is the main runs' state: ``Server-Timing`` only (``SERVER_TIMING_ONLY``).
    """
    off = _point_read_with(name, "off", {**env, **OBSERVABILITY_OFF}, config, k6)
    on = _point_read_with(name, "on", {**env, **OBSERVABILITY_ON}, config, k6)
    return {
        "off": off,
        "timing": timing,
        "on": on,
        "timing_change": timing["throughput"] / off["throughput"] - 1,
        "throughput_change": on["throughput"] / off["throughput"] - 1,
    }


def bench_backend(name: str, config: BenchConfig) -> dict[str, Any]:
    """Everything measured for one backend, as plain data for the report."""
    result: dict[str, Any] = {"api": {}, "one_client": {}, "open_loop": {}, "baseline": {}}
    k6_env = {
        "USERS": str(config.sizes.users),
        "PRODUCTS": str(config.sizes.products),
        "SEED": str(config.seed),
    }
    check_standin_size(name, config)
    with fresh_database(name, config) as (backend, url):
        asyncio.run(migrate_storage(backend, database_url=url, mongo_url=url))
        _load_with_progress(backend, url, config)
        result["server_version"] = asyncio.run(server_version(backend, url))
        result["round_trips"] = asyncio.run(round_trips_per_scenario(backend, url, config))

        variable = "DATABASE_URL" if backend == "sql" else "MONGO_URL"
        env = {
            "STORAGE_BACKEND": backend,
            variable: url,
            "LOG_LEVEL": "warning",
            # Its well-known key is fine for a local measurement; a token lasts the run.
            "ENVIRONMENT": "development",
            "ACCESS_TOKEN_MINUTES": "1440",
        }
        port = free_port()
        main_env = {**env, **SERVER_TIMING_ONLY}
        with running(api_command(port, config.workers), main_env, port, "/health") as server:
            k6_env["TOKEN"] = accounts.admin_token(server.base_url)
            console.print(f"  {name}: warming up every scenario")
            _warm_up(server, SCENARIOS, config, k6_env)
            # Memory once every code path has run: growth from here on is a leak.
            result["rss_after_warmup"] = server.rss_bytes()
            for scenario in SCENARIOS:
                console.print(f"  {name}: {scenario} (closed loop, {config.concurrency} users)")
                result["api"][scenario] = _measure(server, scenario, config, k6_env).as_dict()
                console.print(f"  {name}: {scenario} (one client: the store's share)")
                result["one_client"][scenario] = _one_client(server, scenario, config, k6_env)
            for scenario in config.open_loop_scenarios:
                peak = result["api"][scenario]["throughput"]
                runs = {}
                for fraction in config.open_loop_fractions:
                    rate = int(peak * fraction)
                    console.print(f"  {name}: {scenario} (open loop, {rate}/s = {fraction:.0%})")
                    measured = run_k6(
                        server.base_url, scenario, open_loop(rate, config.seconds), k6_env
                    )
                    runs[f"{fraction:.2f}"] = {"rate": rate, **measured.as_dict()}
                result["open_loop"][scenario] = runs
            result["rss_at_end"] = server.rss_bytes()
            console.print(f"  {name}: deep pages ({config.deep_page_rows} rows in)")
            result["deep_pages"] = deep_pages(
                server.base_url, config.deep_page_rows, config.concurrency, config.seconds, k6_env
            )
            console.print(f"  {name}: point_read, Server-Timing only")
            timing = _measure(server, "point_read", config, k6_env).as_dict()
        result["observability"] = _observability(name, env, timing, config, k6_env)

        port = free_port()
        baseline_env = {"BENCH_BASELINE_URL": url, "ENVIRONMENT": "development"}
        with running(baseline_command(port, config.workers), baseline_env, port, "/users/1") as raw:
            _warm_up(raw, BASELINE_SCENARIOS, config, k6_env)
            for scenario in BASELINE_SCENARIOS:
                console.print(f"  {name}: {scenario} (raw-driver baseline)")
                result["baseline"][scenario] = _measure(raw, scenario, config, k6_env).as_dict()
        result["ceiling"] = database_ceiling(name, url, config)
    return result
