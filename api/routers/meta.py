"""Service root and health check."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from fastapi import Request, Response
from pydantic import BaseModel

from api.deps import StorageDep
from api.errors import count_storage_error
from api.routing import Router
from api.strict_route import StrictRoute
from storage.errors import Unavailable
from web.feed import home
from web.negotiation import prefers_html

router = Router(tags=["meta"], route_class=StrictRoute)
logger = logging.getLogger("api")

DATABASE_DOWN = "The database did not answer; the service log has the cause"
# The storage bounds its ping by DB_TIMEOUT itself; this is a backstop past it.
_BACKSTOP_SECONDS = 1.0


class Root(BaseModel):
    """What `GET /` answers: the service is up, and which backend serves it."""

    message: str
    backend: str


class Replica(BaseModel):
    """A read replica: ``ok`` (read), ``lagging`` (behind the bound) or ``down`` (no answer)."""

    name: str
    state: Literal["ok", "lagging", "down"]
    lag_seconds: float | None


class Health(BaseModel):
    """``status`` is ``ok`` when the database answered a round trip.

    When it did not, ``detail`` names the part that failed (the database),
    never the driver's words: those can carry hosts or SQL, and go to the log.
    """

    status: Literal["ok", "unavailable"]
    backend: str
    database: str
    detail: str | None = None
    redis: Literal["ok", "unavailable"] | None = None
    """With ``REDIS_URL``: whether Redis answered (without it the service still serves:
    each process then uses its own login counts and logged-out tokens)."""
    replicas: list[Replica] | None = None
    """With ``DATABASE_READ_URLS``: each replica as the monitor last saw it. A replica that
    is down or lagging does not make the service unhealthy: the primary serves its reads."""


@router.get("/", response_model=Root)
async def root(storage: StorageDep, request: Request, response: Response) -> Any:
    """Say the API is up and which backend serves it.

    A browser (``Accept`` preferring ``text/html``) gets the home page instead.
    """
    if prefers_html(request):
        page = await home(request, storage)
        page.headers["Vary"] = "Accept"
        return page
    response.headers["Vary"] = "Accept"
    return Root(message="API is running", backend=storage.backend)


@router.get(
    "/health",
    responses={503: {"model": Health, "description": "Database unreachable"}},
    response_model_exclude_none=True,  # the parts a deployment does not use are left out
)
async def health(storage: StorageDep, request: Request, response: Response) -> Health:
    """Ping the database: 200 if it answers, 503 if not (for load balancers and compose)."""
    bound = request.app.state.settings.db_timeout + _BACKSTOP_SECONDS
    shared = request.app.state.shared
    redis = await shared.check() if shared.remote is not None else None
    replicas = [Replica(**vars(replica)) for replica in storage.replicas()] or None
    try:
        async with asyncio.timeout(bound):
            await storage.ping()
    except (Unavailable, TimeoutError) as exc:
        cause = exc.message if isinstance(exc, Unavailable) else f"no answer in {bound} s"
        logger.warning("health check failed: %s", cause)
        count_storage_error(request, exc)
        response.status_code = 503
        return Health(
            status="unavailable",
            backend=storage.backend,
            database=storage.database,
            detail=DATABASE_DOWN,
            redis=redis,
            replicas=replicas,
        )
    return Health(
        status="ok",
        backend=storage.backend,
        database=storage.database,
        redis=redis,
        replicas=replicas,
    )
