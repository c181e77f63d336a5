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

from bench.load import BASELINE_SCENARIOS, SCENARIOS
from bench.markdown import markdown

ROOT = Path(__file__).resolve().parent.parent


def test_smoke_profile_runs_and_reports(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Closed loop" in completed.stdout
    [results] = tmp_path.glob("*/results.json")
    assert (results.parent / "chart.png").stat().st_size > 10_000
    report = json.loads(results.read_text())

    assert report["dataset"]["users"] == 50
    assert report["environment"]["packages"]["fastapi"]
    sqlite = report["backends"]["sqlite"]
    for scenario in SCENARIOS:
        assert sqlite["api"][scenario]["requests"] > 0, scenario
        assert sqlite["api"][scenario]["errors"] == 0, scenario
        assert 0 < sqlite["api"][scenario]["p50"] <= sqlite["api"][scenario]["p99"]
    for scenario in BASELINE_SCENARIOS:
        assert sqlite["baseline"][scenario]["requests"] > 0
        assert sqlite["baseline"][scenario]["errors"] == 0
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
    assert "Deep pages" in completed.stdout

    observability = sqlite["observability"]
    for state in ("off", "on"):
        assert observability[state]["requests"] > 0 and observability[state]["errors"] == 0
    assert observability["throughput_change"] > -1

    tables = markdown(report)
    for scenario in SCENARIOS:
        assert f"| sqlite | {scenario} |" in tables
    assert "RSS after warm-up" in tables
    assert "| sqlite | on |" in tables
    assert "Observability" in completed.stdout


def test_a_run_against_the_stand_in_is_labelled_as_one(mongo_server: str) -> None:
    from bench.config import profile
    from bench.runner import STANDIN_LABEL, backend_label

    config = profile("smoke", backends=("sqlite", "mongo"), mongo_url=mongo_server)
    expected = "mongo" if os.environ.get("TEST_MONGO_URL") else STANDIN_LABEL
    assert backend_label("mongo", config) == expected
    assert backend_label("sqlite", config) == "sqlite"
