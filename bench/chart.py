"""``chart.png``: the API beside the raw driver, the store's share, and latency, per store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.load import BASELINE_SCENARIOS, SCENARIOS
from bench.report import store_figures

RAW_HATCH = "//"


def _scenarios_with_baseline(report: dict[str, Any]) -> list[str]:
    return [
        scenario
        for scenario in BASELINE_SCENARIOS
        if any(scenario in result["baseline"] for result in report["backends"].values())
    ]


def write_chart(folder: Path, report: dict[str, Any]) -> Path:
    """Four panels, one colour per store.

    Top left, for each scenario with a raw baseline: each store's API bar and,
    right beside it, the raw driver's (hatched), the ratio above. Top right:
    the API's throughput on every scenario. Bottom left: the time a request
    spends in the store (``Server-Timing`` ``db``, one client at a time), its
    share of the request above. Bottom right: p99 latency.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    backends = list(report["backends"])
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    figure, ((pairs, every), (store, tail)) = plt.subplots(2, 2, figsize=(16, 10))

    paired = _scenarios_with_baseline(report)
    slot = 0.8 / max(2 * len(backends), 1)
    for i, name in enumerate(backends):
        result, colour = report["backends"][name], colours[i % len(colours)]
        for x, scenario in enumerate(paired):
            api, raw = result["api"][scenario], result["baseline"].get(scenario)
            left = x - 0.4 + (2 * i + 0.5) * slot
            pairs.bar(left, api["throughput"], slot, color=colour, label=name if x == 0 else None)
            if raw:
                pairs.bar(left + slot, raw["throughput"], slot, color=colour, alpha=0.45,
                          hatch=RAW_HATCH, edgecolor=colour)  # fmt: skip
                ratio = api["throughput"] / raw["throughput"]
                pairs.annotate(f"{ratio:.2f}x", (left, api["throughput"]), ha="center",
                               va="bottom", fontsize=7)  # fmt: skip
    pairs.set_xticks(range(len(paired)), paired)
    pairs.set_ylabel("requests per second (closed loop)")
    pairs.set_title("API (solid) beside the raw driver (hatched), API/raw above", fontsize=10)
    pairs.legend(fontsize=8)

    width = 0.8 / max(len(backends), 1)
    centres = [x + width * (len(backends) - 1) / 2 for x in range(len(SCENARIOS))]
    for i, name in enumerate(backends):
        result, colour = report["backends"][name], colours[i % len(colours)]
        positions = [x + i * width for x in range(len(SCENARIOS))]
        every.bar(positions, [result["api"][s]["throughput"] for s in SCENARIOS], width,
                  color=colour, label=name)  # fmt: skip
        timed = [store_figures(result, s) for s in SCENARIOS]
        store.bar(positions, [row.get("store_ms") or 0 for row in timed], width, color=colour,
                  label=name)  # fmt: skip
        for position, row in zip(positions, timed, strict=True):
            if row.get("store_share") is not None:
                store.annotate(f"{row['store_share']:.0%}", (position, row["store_ms"]),
                               ha="center", va="bottom", fontsize=7)  # fmt: skip
        p99 = [result["api"][s]["p99"] for s in SCENARIOS]
        tail.bar(positions, p99, width, color=colour, label=name)
    for axes, label in (
        (every, "requests per second (closed loop)"),
        (store, "ms in the store per request, one client (Server-Timing db)"),
        (tail, "p99 latency, ms (closed loop)"),
    ):
        axes.set_xticks(centres, SCENARIOS, rotation=20, ha="right")
        axes.set_ylabel(label, fontsize=9)
    every.set_title("API throughput, every scenario", fontsize=10)
    store.set_title("Time in the store, and its share of the request (one client)", fontsize=10)
    tail.set_title("Tail latency", fontsize=10)

    env, settings = report["environment"], report["settings"]
    title = (
        f"Same API, same workload — {env['date'][:10]}, {env['cores']} cores, "
        f"Python {env['python']}, {settings['workers']} worker(s), "
        f"{settings['concurrency']} users, dataset {report['dataset']}"
    )
    if any(result.get("standin") for result in report["backends"].values()):
        title += "\nThe mongoeco stand-in's figures say nothing about MongoDB's speed."
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    path = folder / "chart.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
