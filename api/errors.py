"""Neutral storage errors -> HTTP, in one place, and their OpenAPI descriptions."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.observability.requests import route_of
from storage.errors import Conflict, NotFound, NotMigrated, StorageError, Unavailable

logger = logging.getLogger("api")

STATUS = {NotFound: 404, Conflict: 409, Unavailable: 503, NotMigrated: 503}


class ErrorBody(BaseModel):
    """Every error that is not a validation error: ``{"detail": "..."}``."""

    detail: str


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error codes a route can return."""
    text = {
        404: "Not found",
        409: "Conflict",
        413: "Body too large",
        503: "Database unavailable",
    }
    return {code: {"model": ErrorBody, "description": text[code]} for code in codes}


UNAVAILABLE = "Database unavailable; retry shortly"


def count_storage_error(request: Request, exc: Exception) -> None:
    """Count ``exc`` (a storage error, or a ping that timed out) by kind, when metrics are on."""
    metrics = request.app.state.metrics
    if metrics is not None:
        metrics.storage_error(exc)


async def storage_error(request: Request, exc: Exception) -> JSONResponse:
    """Neutral storage errors -> 404, 409, 503 (500 for one this map does not know)."""
    assert isinstance(exc, StorageError)
    count_storage_error(request, exc)
    status = STATUS.get(type(exc), 500)
    if status == 500:
        # A bug or a broken database: the traceback for the operator, once.
        route = route_of(request.scope)
        logger.error("storage error on %s %s", request.method, route, exc_info=exc)
        return JSONResponse({"detail": "Internal server error"}, status_code=500)
    if status == 503:
        # The driver's words (hosts, SQL) go to the operator's log, not the client.
        logger.warning("storage unavailable on %s: %s", route_of(request.scope), exc.message)
        return JSONResponse({"detail": UNAVAILABLE}, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse({"detail": exc.message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``.

    Exceptions that are not storage errors are bugs: ``RequestObservability``
    logs them (once) and answers 500.
    """
    app.add_exception_handler(StorageError, storage_error)
