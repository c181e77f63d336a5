"""The FastAPI application factory: ``uvicorn --factory api.main:create_app``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from api.auth.passwords import Passwords
from api.auth.throttle import LoginThrottle
from api.auth.tokens import Tokens
from api.edge import Edge
from api.errors import install_error_handlers
from api.limits import BodyLimits
from api.methods import MethodTable
from api.openapi import install_openapi
from api.pagination import Cursors
from api.routers import (
    auth,
    categories,
    meta,
    orders,
    pictures,
    posts,
    products,
    tags,
    users,
)
from api.routing import add_routes
from api.settings import Settings
from api.shared.state import SharedState
from storage.factory import open_storage
from web import install_pages
from web import pictures as page_pictures
from web.errors import crash_page, refusal_page

logger = logging.getLogger("api")
POSITION_MARGIN_SECONDS = 2.0

DESCRIPTION = """
The same users, posts, tags, categories and products, served from SQL
(SQLite, PostgreSQL, MariaDB/MySQL) or MongoDB: `STORAGE_BACKEND` picks one
and every response is the same whichever it is.

Lists return `{"items", "total", "skip", "limit"}`; errors return
`{"detail": "..."}` (validation errors use FastAPI's 422 shape).

Request bodies are strict JSON in UTF-8: `NaN`, `Infinity`, numbers out of
range, lone surrogate escapes (`"\\ud800"`) and nesting deeper than 32
levels are a 422; a body that is not `application/json` is a 415, and one
over the size limit a 413. A query parameter sent empty (`?max_price=`)
counts as absent. Booleans and integers in bodies must be JSON booleans
and numbers (`true`, not `1` or `"true"`); a price may be a number or a
numeric string.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Settings are read now; the database is opened by the lifespan."""
    settings = settings or Settings()
    metrics = None
    if settings.metrics_enabled:
        # Imported only when wanted: a deployment without metrics never loads
        # prometheus-client, whose multiprocess mode is chosen at import.
        from api.observability.metrics import Metrics, add_metrics_route, sample_pools

        metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        storage = await open_storage(
            settings.storage_backend,
            database_url=settings.database_url,
            mongo_url=settings.mongo_url,
            sql_pool_size=settings.sql_pool_size,
            timeouts=settings.timeouts(),
            read_urls=settings.read_urls() if settings.storage_backend == "sql" else None,
            read_max_lag=settings.database_read_max_lag,
        )
        logger.info(
            "storage open: %s on %s at %s",
            storage.backend,
            storage.database,
            settings.target(),
            extra={"backend": storage.backend, "database": storage.database},
        )
        app.state.storage = storage
        if storage.read_lag_bound is not None:
            # Reads may lag: keep each signed-in caller's commit position as long
            # as a readable copy may lack it (plus a margin for the probes' clock).
            shared.track_for = storage.read_lag_bound + POSITION_MARGIN_SECONDS
            for replica in storage.replicas():
                logger.info("read replica %s: %s", replica.name, replica.state)
        if shared.round_trips:
            tokens.shared = shared  # admitting a token asks Redis, or looks up a position
        sampler = None
        if metrics is not None:
            sampler = asyncio.create_task(sample_pools(storage, metrics))
        # Everything built so far (app, routes, models, drivers) lives as long as
        # the process: moving it out of the collector's reach keeps full
        # collections short, which shows as a shorter latency tail.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if sampler is not None:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
            await storage.close()
            await shared.close()

    # FastAPI looks for configured OpenTelemetry providers on every request
    # unless told there are none to look for.
    off: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
    app = FastAPI(
        title="Dual-store API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        telemetry=None if settings.opentelemetry else off,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    key = settings.signing_key()  # InsecureSecret in production without a good key
    app.state.cursors = Cursors(key.encode())
    redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
    # Built here (no I/O: the client connects on first use); closed by the lifespan.
    shared = app.state.shared = SharedState(redis_url)
    tokens = app.state.tokens = Tokens(
        key, settings.access_token_minutes, denied=shared.revocations.ids
    )
    app.state.passwords = Passwords(
        settings.password_hash_memory_kib, settings.password_hash_time_cost
    )
    app.state.login_throttle = LoginThrottle(
        settings.login_max_failures,
        settings.login_window_seconds,
        shared=shared if redis_url else None,
    )
    install_error_handlers(app)
    limits = BodyLimits(
        settings.max_body_bytes,
        allowances=[
            pictures.upload_allowance(settings.picture_max_bytes),
            page_pictures.upload_allowance(settings.picture_max_bytes),
        ],
    )
    app.add_middleware(
        Edge,
        methods=lambda: MethodTable(app.openapi()["paths"]),
        limits=limits,
        access_log=settings.access_log,
        server_timing=settings.server_timing,
        metrics=metrics,
        refusal=refusal_page,
        crash=crash_page,
    )
    # Routes are tried in this order: the API's, most requested first, then the
    # pages' routers, each refusing a path that is not its own at once (``api.routing``).
    modules = (users, posts, products, categories, tags, orders, pictures, auth, meta)
    add_routes(app, *(module.router for module in modules))
    install_pages(app, key)
    if metrics is not None:
        add_metrics_route(app, metrics, settings.metrics_token)
    install_openapi(app)
    return app
