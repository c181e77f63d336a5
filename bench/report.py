"""Measurements as terminal tables and ``results.json`` (the chart: ``bench.chart``)."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from bench.load import BASELINE_SCENARIOS, SCENARIOS

PACKAGES = ("fastapi", "starlette", "pydantic", "uvicorn", "sqlalchemy", "aiosqlite", "asyncpg",
            "asyncmy", "pymongo")  # fmt: skip


def environment(k6: str) -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cores": psutil.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "packages": {name: version(name) for name in PACKAGES},
        "load_generator": k6,
    }


def goals(result: dict[str, Any]) -> dict[str, Any]:
    """The issue's performance goals, computed from one backend's figures."""
    api, base = result["api"], result["baseline"]
    trips = result["round_trips"]
    checks: dict[str, Any] = {
        f"{scenario}_vs_raw": api[scenario]["throughput"] / base[scenario]["throughput"]
        for scenario in BASELINE_SCENARIOS
        if scenario in base
    }
    checks["round_trips_same_at_10_and_100"] = (
        trips["list_posts_limit_10"] == trips["list_posts_limit_100"]
    )
    checks["rss_growth"] = result["rss_at_end"] / result["rss_after_warmup"] - 1
    for scenario, runs in result["open_loop"].items():
        at_70 = runs.get("0.70")
        if at_70:
            checks[f"{scenario}_open_70_p99_over_p50"] = at_70["p99"] / max(at_70["p50"], 1e-9)
            checks[f"{scenario}_open_70_errors"] = at_70["errors"]
    for order in ("id", "name"):
        deep = result.get("deep_pages", {}).get(order)
        if deep:
            checks[f"deep_page_by_{order}_cursor_vs_page_1"] = deep["cursor_vs_page_1"]
    return checks


def store_figures(result: dict[str, Any], scenario: str) -> dict[str, Any]:
    """The run whose ``Server-Timing`` figures show a scenario's time in the store.

    The one-client run's (``bench.runner._one_client``: no queueing for the
    event loop in them), else the closed loop's.
    """
    return dict(result.get("one_client", {}).get(scenario) or result["api"][scenario])


def store_cells(result: dict[str, Any], scenario: str) -> tuple[str, str]:
    """A scenario's time in the store (ms) and its share of the request, as table cells."""
    row = store_figures(result, scenario)
    if row.get("store_ms") is None:
        return "", ""
    share = row.get("store_share")
    return f"{row['store_ms']:.2f}", "" if share is None else f"{share:.0%}"


def write_json(folder: Path, report: dict[str, Any]) -> Path:
    path = folder / "results.json"
    path.write_text(json.dumps(report, indent=2))
    return path


def print_tables(console: Console, report: dict[str, Any]) -> None:
    """Closed-loop figures per backend and scenario, then open loop, then the goals."""
    table = Table(
        title="Closed loop: throughput (req/s), latency (ms); time in the store per request "
        "and its share of the request (ms, Server-Timing db, one client at a time)"
    )
    for column in ("backend", "scenario", "req/s", "p50", "p95", "p99", "errors", "round trips",
                   "store ms", "store share", "raw req/s", "API/raw"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("backend", "scenario") else "right")
    for name, result in report["backends"].items():
        for scenario in SCENARIOS:
            row = result["api"][scenario]
            raw = result["baseline"].get(scenario)
            table.add_row(
                name, scenario, f"{row['throughput']:.0f}", f"{row['p50']:.1f}",
                f"{row['p95']:.1f}", f"{row['p99']:.1f}", str(row["errors"]),
                str(result["round_trips"].get(scenario, "")), *store_cells(result, scenario),
                f"{raw['throughput']:.0f}" if raw else "",
                f"{row['throughput'] / raw['throughput']:.2f}" if raw else "",
            )  # fmt: skip
        ceiling = result.get("ceiling")
        if ceiling and ceiling.get("throughput"):
            table.add_row(name, f"ceiling: {ceiling['tool']}", f"{ceiling['throughput']:.0f}")
    console.print(table)

    open_table = Table(title="Open loop (fixed arrival rate, % of closed-loop peak)")
    for column in ("backend", "scenario", "load", "rate/s", "achieved", "p50", "p99", "p99/p50",
                   "errors", "dropped"):  # fmt: skip
        open_table.add_column(column)
    for name, result in report["backends"].items():
        for scenario, runs in result["open_loop"].items():
            for fraction, row in runs.items():
                open_table.add_row(
                    name, scenario, f"{float(fraction):.0%}", str(row["rate"]),
                    f"{row['throughput']:.0f}", f"{row['p50']:.1f}", f"{row['p99']:.1f}",
                    f"{row['p99'] / max(row['p50'], 1e-9):.1f}", str(row["errors"]),
                    str(row["dropped"]),
                )  # fmt: skip
    console.print(open_table)

    overhead = Table(
        title="Observability: point read, closed loop; off, Server-Timing only (the runs above), "
        "all on (request log, Server-Timing, metrics)"
    )
    for column in ("backend", "off req/s", "timing req/s", "change", "on req/s", "change",
                   "off p50", "on p50", "off p99", "on p99"):  # fmt: skip
        overhead.add_column(column, justify="left" if column == "backend" else "right")
    for name, result in report["backends"].items():
        obs = result.get("observability")
        if obs:
            off, timing, on = obs["off"], obs["timing"], obs["on"]
            overhead.add_row(
                name, f"{off['throughput']:.0f}", f"{timing['throughput']:.0f}",
                f"{obs['timing_change']:+.1%}", f"{on['throughput']:.0f}",
                f"{obs['throughput_change']:+.1%}", f"{off['p50']:.1f}", f"{on['p50']:.1f}",
                f"{off['p99']:.1f}", f"{on['p99']:.1f}",
            )  # fmt: skip
    console.print(overhead)
    console.print(deep_page_table(report))

    goal_table = Table(title="Goals")
    goal_table.add_column("backend")
    goal_table.add_column("check")
    goal_table.add_column("value", justify="right")
    for name, result in report["backends"].items():
        for check, value in result["goals"].items():
            shown = f"{value:.2f}" if isinstance(value, float) else str(value)
            goal_table.add_row(name, check, shown)
    console.print(goal_table)


def deep_page_table(report: dict[str, Any]) -> Table:
    """Page 1 against a page ``depth`` rows in, by cursor and by skip (p50 ms, req/s)."""
    depth = report["settings"]["deep_page_rows"]
    table = Table(title=f"Deep pages: page 1 vs {depth} rows in (count=false, 20 per page)")
    columns = ("backend", "order", "page 1 p50", "cursor p50", "cursor/page 1", "skip p50",
               "skip/page 1", "page 1 req/s", "cursor req/s", "skip req/s")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("backend", "order") else "right")
    for name, result in report["backends"].items():
        pages = result.get("deep_pages", {})
        for order in ("id", "name"):
            runs = pages.get(order)
            if not runs:
                continue
            table.add_row(
                name, order, f"{runs['page_1']['p50']:.1f}", f"{runs['cursor']['p50']:.1f}",
                f"{runs['cursor_vs_page_1']:.2f}", f"{runs['skip']['p50']:.1f}",
                f"{runs['skip_vs_page_1']:.2f}", f"{runs['page_1']['throughput']:.0f}",
                f"{runs['cursor']['throughput']:.0f}", f"{runs['skip']['throughput']:.0f}",
            )  # fmt: skip
    return table
