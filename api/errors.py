"""Neutral storage errors -> HTTP, in one place, and their OpenAPI descriptions."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.observability.requests import route_of
from api.pictures.processing import PictureRejected
from api.validation import validation_error
from storage.errors import (
    Conflict,
    NotFound,
    NotMigrated,
    PreconditionFailed,
    StorageError,
    TimedOut,
    Unavailable,
)

logger = logging.getLogger("api")

STATUS = {
    NotFound: 404,
    Conflict: 409,
    PreconditionFailed: 412,
    Unavailable: 503,
    TimedOut: 504,
    NotMigrated: 503,
}


class ErrorBody(BaseModel):
    """Every error that is not a validation error: ``{"detail": "..."}``.

    ``errors`` names each item at fault when there are several (the emails of a
    bulk insert that are taken, each with its index in the batch).
    """

    detail: str
    errors: list[dict[str, Any]] | None = None


RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error codes a route can return."""
    text = {
        304: "Not modified: your copy (If-None-Match) is current",
        401: "Not authenticated: no valid bearer token",
        403: "Not allowed for this account",
        404: "Not found",
        409: "Conflict",
        412: "Precondition failed: the resource changed since the ETag in If-Match",
        429: "Too many failed logins: wait Retry-After seconds",
        503: "Database unavailable",
        504: "Database statement timed out",
    }
    # 304 has no body; every other error has ErrorBody's.
    entries: dict[int | str, dict[str, Any]] = {
        code: {"description": text[code], **({} if code == 304 else {"model": ErrorBody})}
        for code in codes
    }
    if 503 in entries:
        entries[503]["headers"] = RETRY_AFTER
    return entries


UNAVAILABLE = "Database unavailable; retry shortly"
TIMED_OUT = "The database took too long and cancelled this request; retry later or ask for less"
RETRY_AFTER_SECONDS = "5"


def count_storage_error(request: Request, exc: Exception) -> None:
    """Count ``exc`` (a storage error, or a ping that timed out) by kind, when metrics are on."""
    metrics = request.app.state.metrics
    if metrics is not None:
        metrics.storage_error(exc)


async def storage_error(request: Request, exc: Exception) -> JSONResponse:
    """Neutral storage errors -> 404, 409, 503, 504 (500 for one this map does not know)."""
    assert isinstance(exc, StorageError)
    count_storage_error(request, exc)
    status = STATUS.get(type(exc), 500)
    if status == 500:
        # A bug or a broken database: the traceback for the operator, once.
        route = route_of(request.scope)
        logger.error("storage error on %s %s", request.method, route, exc_info=exc)
        return JSONResponse({"detail": "Internal server error"}, status_code=500)
    if status in (503, 504):
        # The driver's words (hosts, SQL) go to the operator's log, not the client.
        logger.warning("storage unavailable on %s: %s", route_of(request.scope), exc.message)
        if status == 504:
            return JSONResponse({"detail": TIMED_OUT}, status_code=504)
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
        return JSONResponse({"detail": UNAVAILABLE}, status_code=503, headers=headers)
    body: dict[str, Any] = {"detail": exc.message}
    if exc.details:
        body["errors"] = exc.details
    return JSONResponse(body, status_code=status)


async def picture_rejected(request: Request, exc: Exception) -> JSONResponse:
    """An upload that is not a picture we take: 413 over the size limit, else a 422.

    The 422 has FastAPI's shape, pointing at the form field, so a client shows
    the message next to it as it would any other validation error.
    """
    assert isinstance(exc, PictureRejected)
    if exc.status != 422:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    error = {"type": "picture_invalid", "loc": ["body", "picture"], "msg": exc.message}
    return JSONResponse({"detail": [error]}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``.

    Exceptions that are not storage errors are bugs: ``RequestObservability``
    logs them (once) and answers 500.
    """
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StorageError, storage_error)
    app.add_exception_handler(PictureRejected, picture_rejected)
