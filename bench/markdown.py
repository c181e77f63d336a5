"""``python -m bench.markdown results.json``: the figures as Markdown tables (for the README)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.load import SCENARIOS
from bench.report import store_cells


def _closed_loop(report: dict[str, Any]) -> list[str]:
    lines = [
        "| backend | scenario | req/s | p50 ms | p99 ms | errors | round trips "
        "| store ms | store share | raw req/s | API/raw |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, result in report["backends"].items():
        for scenario in SCENARIOS:
            row = result["api"][scenario]
            raw = result["baseline"].get(scenario)
            ratio = f"{row['throughput'] / raw['throughput']:.2f}" if raw else ""
            raw_rate = f"{raw['throughput']:.0f}" if raw else ""
            trips = result["round_trips"].get(scenario, "")
            store_ms, share = store_cells(result, scenario)
            lines.append(
                f"| {name} | {scenario} | {row['throughput']:.0f} | {row['p50']:.1f} | "
                f"{row['p99']:.1f} | {row['errors']} | {trips} | {store_ms} | {share} | "
                f"{raw_rate} | {ratio} |"
            )
        ceiling = result.get("ceiling")
        if ceiling and ceiling.get("throughput"):
            lines.append(
                f"| {name} | ceiling: `{ceiling['tool']}` | {ceiling['throughput']:.0f} |||||||||"
            )
    return lines


def _open_loop(report: dict[str, Any]) -> list[str]:
    lines = [
        "| backend | scenario | load | rate/s | achieved | p50 ms | p99 ms | p99/p50 "
        "| errors | dropped |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, result in report["backends"].items():
        for scenario, runs in result["open_loop"].items():
            for fraction, row in runs.items():
                lines.append(
                    f"| {name} | {scenario} | {float(fraction):.0%} | {row['rate']} | "
                    f"{row['throughput']:.0f} | {row['p50']:.1f} | {row['p99']:.1f} | "
                    f"{row['p99'] / max(row['p50'], 1e-9):.1f} | {row['errors']} | "
                    f"{row['dropped']} |"
                )
    return lines


def _memory(report: dict[str, Any]) -> list[str]:
    lines = ["| backend | RSS after warm-up | RSS at end | growth |", "|---|--:|--:|--:|"]
    for name, result in report["backends"].items():
        start, end = result["rss_after_warmup"], result["rss_at_end"]
        lines.append(
            f"| {name} | {start / 2**20:.0f} MiB | {end / 2**20:.0f} MiB | {end / start - 1:+.0%} |"
        )
    return lines


def _observability(report: dict[str, Any]) -> list[str]:
    lines = [
        "| backend | observability | req/s | p50 ms | p99 ms |",
        "|---|---|--:|--:|--:|",
    ]
    for name, result in report["backends"].items():
        obs = result.get("observability")
        if not obs:
            continue
        for state, shown in (("off", "off"), ("timing", "Server-Timing only"), ("on", "on")):
            row = obs.get(state)  # runs before 2026-12 have no "timing"
            if row:
                lines.append(
                    f"| {name} | {shown} | {row['throughput']:.0f} | {row['p50']:.1f} | "
                    f"{row['p99']:.1f} |"
                )
        keys = ("timing_change", "throughput_change")
        changes = [f"{obs[key]:+.1%}" for key in keys if key in obs]
        lines.append(f"| {name} | change vs off | {' · '.join(changes)} | | |")
    return lines


def markdown(report: dict[str, Any]) -> str:
    """The closed-loop, open-loop and memory tables of one run, with its context."""
    env, settings = report["environment"], report["settings"]
    context = (
        f"{env['date'][:10]} · {env['machine']} · {env['cores']} cores · "
        f"{env['memory_gib']} GiB · Python {env['python']} · {env['load_generator']} · "
        f"{settings['workers']} uvicorn worker(s), {settings['concurrency']} virtual users, "
        f"{settings['seconds']:.0f} s per run after {settings['warmup_seconds']:.0f} s warm-up · "
        f"dataset {report['dataset']}"
    )
    versions = ", ".join(f"{name} {v}" for name, v in env["packages"].items())
    servers = ", ".join(
        f"{name}: {r['server_version'][:40]}" for name, r in report["backends"].items()
    )
    parts = [
        context,
        "",
        f"Packages: {versions}. Servers: {servers}.",
        "",
        *_closed_loop(report),
        "",
        *_open_loop(report),
        "",
        *_memory(report),
        "",
        *_observability(report),
        "",
        *_deep_pages(report),
    ]
    return "\n".join(parts)


def _deep_pages(report: dict[str, Any]) -> list[str]:
    lines = [
        "| backend | order | page 1 p50 ms | cursor p50 ms | cursor/page 1 | skip p50 ms "
        "| skip/page 1 |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for name, result in report["backends"].items():
        pages = result.get("deep_pages", {})
        for order in ("id", "name"):
            runs = pages.get(order)
            if runs:
                lines.append(
                    f"| {name} | {order} | {runs['page_1']['p50']:.1f} | "
                    f"{runs['cursor']['p50']:.1f} | {runs['cursor_vs_page_1']:.2f} | "
                    f"{runs['skip']['p50']:.1f} | {runs['skip_vs_page_1']:.2f} |"
                )
    return lines if len(lines) > 2 else []


if __name__ == "__main__":
    print(markdown(json.loads(Path(sys.argv[1]).read_text())))
