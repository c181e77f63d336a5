"""Prometheus metrics (prometheus-client), served at ``/metrics`` when ``METRICS_ENABLED``.

=====================================  =========  ==================================
metric                                 type       labels
=====================================  =========  ==================================
``http_request_duration_seconds``      histogram  ``method``, ``route`` (template), ``status``
``http_requests_in_progress``          gauge
``storage_errors_total``               counter    ``kind``: ``unavailable``, ``conflict``,
                                                  ``not_found``, ``not_migrated``, ...
``db_pool_connections_in_use``         gauge      ``pool``: ``write``/``read`` (SQL), ``mongo``
``db_pool_connections_open``           gauge      ``pool``
``db_pool_connections_max``            gauge      ``pool``
``db_replica_up``                      gauge      ``replica`` (host:port/database): 1 read,
                                                  0 down or lagging past the bound
``db_replica_lag_seconds``             gauge      ``replica``; NaN while unknown
=====================================  =========  ==================================

With several workers (``serve --workers N``) each worker is its own process:
``serve`` then sets ``PROMETHEUS_MULTIPROC_DIR`` before starting them, every
worker writes its figures there, and whichever worker answers a scrape reads
them all (prometheus-client's multiprocess mode). Gauges are summed over the
live workers, so the pool gauges show the whole instance's connections.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import re
from collections.abc import Iterable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from pydantic import SecretStr

from storage.instrumentation import PoolUsage, ReplicaStatus
from storage.protocol import Storage

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
POOL_SAMPLE_SECONDS = 1.0
"""How often each worker copies its pools' state into the gauges."""


def error_kind(exc: Exception) -> str:
    """``Unavailable`` -> ``unavailable``, ``NotMigrated`` -> ``not_migrated``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


class Metrics:
    """The service's metrics, in a registry of its own (one per app, so tests stay apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Histogram(
            "http_request_duration_seconds",
            "Time from request to response end, by route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_progress",
            "Requests being served now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.storage_errors = Counter(
            "storage_errors",
            "Storage errors answered, by kind (unavailable: the database did not answer).",
            ["kind"],
            registry=registry,
        )
        pool = ["pool"]
        self.pool_in_use = Gauge(
            "db_pool_connections_in_use",
            "Database connections lent to a request now.",
            pool,
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_open = Gauge(
            "db_pool_connections_open",
            "Database connections open (idle or in use).",
            pool,
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_max = Gauge(
            "db_pool_connections_max",
            "Most connections the pool opens (SQL: SQL_POOL_SIZE per engine per worker).",
            pool,
            registry=registry,
            multiprocess_mode="livesum",
        )

        replica = ["replica"]
        self.replica_up = Gauge(
            "db_replica_up",
            "1 while reads go to the replica, 0 while it is down or lags past the bound.",
            replica,
            registry=registry,
            multiprocess_mode="min",
        )
        self.replica_lag = Gauge(
            "db_replica_lag_seconds",
            "How far behind the primary the replica was at the last probe (upper bound).",
            replica,
            registry=registry,
            multiprocess_mode="max",
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """One request answered."""
        self.requests.labels(method, route, str(status)).observe(seconds)

    def storage_error(self, exc: Exception) -> None:
        """One storage error answered (or met by ``/health``)."""
        self.storage_errors.labels(error_kind(exc)).inc()

    def pools(self, usages: Iterable[PoolUsage]) -> None:
        """Copy the pools' state into the gauges."""
        for usage in usages:
            self.pool_in_use.labels(usage.pool).set(usage.in_use)
            self.pool_open.labels(usage.pool).set(usage.open)
            if usage.size is not None:
                self.pool_max.labels(usage.pool).set(usage.size)

    def replicas(self, statuses: Iterable[ReplicaStatus]) -> None:
        """Copy the replicas' state into the gauges."""
        for status in statuses:
            self.replica_up.labels(status.name).set(1 if status.state == "ok" else 0)
            lag = status.lag_seconds
            self.replica_lag.labels(status.name).set(float("nan") if lag is None else lag)

    def exposition(self) -> bytes:
        """The text a scrape gets: this process's metrics, or every worker's."""
        if os.environ.get(MULTIPROCESS_DIR):
            merged = CollectorRegistry()
            MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)


async def sample_pools(storage: Storage, metrics: Metrics) -> None:
    """Keep the pool and replica gauges current, until cancelled (by the app's lifespan)."""
    while True:
        metrics.pools(storage.pool_usage())
        metrics.replicas(storage.replicas())
        await asyncio.sleep(POOL_SAMPLE_SECONDS)


def add_metrics_route(app: FastAPI, metrics: Metrics, token: SecretStr | None) -> None:
    """Serve ``metrics`` at ``GET /metrics``, behind ``Authorization: Bearer token`` if set."""
    expected = token.get_secret_value().encode() if token is not None else None

    async def scrape(request: Request) -> Response:
        if expected is not None and not _bearer_matches(request, expected):
            return JSONResponse(
                {"detail": "Not authenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        storage = request.app.state.storage
        metrics.pools(storage.pool_usage())
        metrics.replicas(storage.replicas())
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", scrape, methods=["GET"], include_in_schema=False)


def _bearer_matches(request: Request, expected: bytes) -> bool:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    # Constant-time comparison: the time taken says nothing about the token.
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), expected)
