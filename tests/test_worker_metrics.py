"""``/metrics`` with ``--workers 2``: every worker's requests counted, pools summed.

prometheus-client's multiprocess mode, as ``serve`` sets it up: whichever
worker answers the scrape must report what both workers served.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.servers import serving

REQUESTS = 24


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(url + "/metrics", headers={"Authorization": "Bearer s3"}, timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_add_up_across_workers(tmp_path: Path) -> None:
    env = {"METRICS_ENABLED": "true", "METRICS_TOKEN": "s3", "SQL_POOL_SIZE": "3"}
    with serving(tmp_path, "--workers", "2", **env) as server:
        for _ in range(REQUESTS):
            # A new connection each time, so both workers take some.
            with httpx.Client(base_url=server.url) as client:
                assert client.get("/users/4242").status_code == 404
        route = (("method", "GET"), ("route", "/users/{user_id}"), ("status", "404"))
        key = ("http_request_duration_seconds_count", route)
        pool_max = ("db_pool_connections_max", (("pool", "write"),))
        deadline = time.monotonic() + 30
        while True:  # the second worker may still be sampling its pools
            found = scrape(server.url)
            if found.get(pool_max) == 2 * 3 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert found[key] == REQUESTS
        assert found[pool_max] == 2 * 3  # SQL_POOL_SIZE x workers, per engine
        assert found[("storage_errors_total", (("kind", "not_found"),))] == REQUESTS
