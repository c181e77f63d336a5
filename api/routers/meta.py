"""Service root and health check."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from api.deps import StorageDep
from api.errors import count_storage_error
from storage.errors import Unavailable

router = APIRouter(tags=["meta"])

PING_TIMEOUT_SECONDS = 5.0


class Root(BaseModel):
    """What `GET /` answers: the service is up, and which backend serves it."""

    message: str
    backend: str


class Health(BaseModel):
    """``status`` is ``ok`` when the database answered a round trip."""

    status: Literal["ok", "unavailable"]
    backend: str
    database: str
    detail: str | None = None


@router.get("/")
async def root(storage: StorageDep) -> Root:
    """Say the API is up and which backend serves it."""
    return Root(message="API is running", backend=storage.backend)


@router.get("/health", responses={503: {"model": Health, "description": "Database unreachable"}})
async def health(storage: StorageDep, request: Request, response: Response) -> Health:
    """Ping the database: 200 if it answers, 503 if not (for load balancers and compose)."""
    try:
        async with asyncio.timeout(PING_TIMEOUT_SECONDS):
            await storage.ping()
    except (Unavailable, TimeoutError) as exc:
        count_storage_error(request, exc)
        response.status_code = 503
        detail = exc.message if isinstance(exc, Unavailable) else "Database ping timed out"
        return Health(
            status="unavailable", backend=storage.backend, database=storage.database, detail=detail
        )
    return Health(status="ok", backend=storage.backend, database=storage.database)
