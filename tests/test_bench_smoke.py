"""The benchmark runs end to end and reports (tiny dataset, one second per run).

It asserts that every figure is there and sane, never what the figures are:
timings on a shared machine prove nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.load import BASELINE_SCENARIOS, SCENARIOS
from bench.markdown import markdown
from bench.runner import STANDIN_LABEL

ROOT = Path(__file__).resolve().parent.parent


def run_bench(out: Path, *args: str) -> tuple[str, dict[str, Any]]:
    """``python -m bench --profile smoke`` with ``args``; its output and its results.json."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "smoke", "--out", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Closed loop" in completed.stdout
    [results] = out.glob("*/results.json")
    assert (results.parent / "chart.png").stat().st_size > 10_000
    return completed.stdout, json.loads(results.read_text())


def assert_scenarios_reported(result: dict[str, Any]) -> None:
    """Every scenario ran without errors, and the API's rows carry the store's time."""
    for scenario in SCENARIOS:
        row = result["api"][scenario]
        assert row["requests"] > 0 and row["errors"] == 0, scenario
        assert 0 < row["p50"] <= row["p99"], scenario
        # Read from each response's Server-Timing header: present, never judged;
        # under load and from one client at a time (what the tables show).
        for measured in (row, result["one_client"][scenario]):
            assert measured["requests"] > 0 and measured["errors"] == 0, scenario
            assert measured["store_ms"] > 0 and measured["server_ms"] > 0, scenario
            assert measured["store_share"] == measured["store_ms"] / measured["server_ms"]
    for scenario in BASELINE_SCENARIOS:
        raw = result["baseline"][scenario]
        assert raw["requests"] > 0 and raw["errors"] == 0, scenario
        # The raw driver's app sends no Server-Timing: no store figures are made up for it.
        assert raw["store_ms"] is None and raw["store_share"] is None, scenario
        assert f"{scenario}_vs_raw" in result["goals"]


def test_smoke_profile_runs_and_reports(tmp_path: Path) -> None:
    stdout, report = run_bench(tmp_path)

    assert report["dataset"]["users"] == 50
    assert report["environment"]["packages"]["fastapi"]
    sqlite = report["backends"]["sqlite"]
    assert sqlite["standin"] is False
    assert_scenarios_reported(sqlite)
    assert sqlite["open_loop"]["point_read"]["0.70"]["requests"] > 0
    assert (
        sqlite["round_trips"]["list_posts_limit_10"]
        == sqlite["round_trips"]["list_posts_limit_100"]
    )
    assert sqlite["rss_after_warmup"] > 0
    assert sqlite["rss_at_end"] > 0
    assert set(sqlite["goals"]) >= {"point_read_vs_raw", "list_posts_vs_raw", "rss_growth"}
    deep = sqlite["deep_pages"]
    assert deep["depth"] == 25
    for order in ("id", "name"):
        for request in ("page_1", "cursor", "skip"):
            assert deep[order][request]["requests"] > 0 and deep[order][request]["errors"] == 0
    assert "Deep pages" in stdout

    observability = sqlite["observability"]
    for state in ("off", "timing", "on"):
        assert observability[state]["requests"] > 0 and observability[state]["errors"] == 0
    assert observability["off"]["store_ms"] is None  # Server-Timing off: no header to read
    assert observability["timing"]["store_ms"] > 0
    assert observability["throughput_change"] > -1 and observability["timing_change"] > -1

    tables = markdown(report)
    for scenario in SCENARIOS:
        assert f"| sqlite | {scenario} |" in tables
    assert "| store ms | store share |" in tables
    assert "RSS after warm-up" in tables
    assert "| sqlite | on |" in tables and "| sqlite | Server-Timing only |" in tables
    assert "Observability" in stdout


def test_the_mongo_path_runs_and_reports(tmp_path: Path, mongo_server: str) -> None:
    """Loaded through the service's own document mapping, measured, labelled if a stand-in."""
    stdout, report = run_bench(tmp_path, "--backends", "mongo", "--mongo-url", mongo_server)

    standin = not os.environ.get("TEST_MONGO_URL")
    label = STANDIN_LABEL if standin else "mongo"
    assert list(report["backends"]) == [label]
    mongo = report["backends"][label]
    assert mongo["standin"] is standin
    assert_scenarios_reported(mongo)
    assert (
        mongo["round_trips"]["list_posts_limit_10"] == mongo["round_trips"]["list_posts_limit_100"]
    )
    if standin:  # the table's rows name it: its speed says nothing about MongoDB's
        assert "not MongoDB" in stdout
    assert f"| {label} | point_read |" in markdown(report)


def test_a_run_against_the_stand_in_is_labelled_as_one(mongo_server: str) -> None:
    from bench.config import profile
    from bench.runner import backend_label

    config = profile("smoke", backends=("sqlite", "mongo"), mongo_url=mongo_server)
    expected = "mongo" if os.environ.get("TEST_MONGO_URL") else STANDIN_LABEL
    assert backend_label("mongo", config) == expected
    assert backend_label("sqlite", config) == "sqlite"


def test_a_dataset_too_large_for_the_stand_in_is_refused_before_loading(
    mongo_server: str,
) -> None:
    from bench.config import profile
    from bench.runner import check_standin_size

    check_standin_size("mongo", profile("smoke", mongo_url=mongo_server))  # 360 rows: fine
    check_standin_size("sqlite", profile("quick", mongo_url=mongo_server))  # not the stand-in
    quick = profile("quick", mongo_url=mongo_server)
    if os.environ.get("TEST_MONGO_URL"):  # a real server loads any size
        check_standin_size("mongo", quick)
        return
    with pytest.raises(ValueError, match="--profile smoke"):
        check_standin_size("mongo", quick)
