"""Errors as pages for people, JSON for API clients.

A request is a page request when a page route took it, or when no route did
and the client prefers HTML (a browser following a stale link). Everything
else gets the API's existing handlers, unchanged. A 401 on a page sends the
person to the log-in form; a failed CSRF check is a 403 page.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException
from starlette.types import Scope

from api.errors import RETRY_AFTER_SECONDS, STATUS, count_storage_error, storage_error
from api.validation import validation_error
from storage.errors import StorageError
from web.csrf import CsrfFailed
from web.negotiation import prefers_html
from web.rendering import render

logger = logging.getLogger("api")

TITLES = {
    400: "That request was not understood",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Temporarily unavailable",
    504: "Temporarily unavailable",
}
MESSAGES = {
    404: "There is nothing here. The link may be old, or the address mistyped.",
    500: "An error on our side stopped this page. It has been logged; please try again.",
    503: "The database did not answer. Please try again in a moment.",
    504: "The database took too long. Please try again in a moment.",
}


def is_page(request: Request) -> bool:
    """Whether ``request`` should be answered with a page rather than JSON."""
    if getattr(request.state, "page", False):
        return True
    route = request.scope.get("route")
    if route is None:
        return prefers_html(request)
    module = getattr(getattr(route, "endpoint", None), "__module__", "")
    return isinstance(module, str) and module.startswith("web.")


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    """The error page for ``status``, in the site's layout."""
    title = TITLES.get(status, "Error")
    text = MESSAGES.get(status) or detail or title
    return render(request, "error.html", status=status, title=title, message=text)


def refusal_page(scope: Scope, message: str) -> Response | None:
    """The 413 page for a body refused before routing (``api.edge.Edge``), or None.

    A body that streams past the limit is refused inside its route, and the
    route decides (``is_page``); one whose declared length is already over it
    never reaches a route, so the client's ``Accept`` decides, as for a path
    no route takes. A browser posting a form gets the page, API clients JSON.
    """
    request = Request(scope)
    return error_page(request, 413, message) if is_page(request) else None


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not is_page(request):
        return await http_exception_handler(request, exc)
    if exc.status_code == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    response = error_page(request, exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers.setdefault(name, value)
    return response


async def _storage_error(request: Request, exc: Exception) -> Response:
    if not is_page(request):
        return await storage_error(request, exc)
    assert isinstance(exc, StorageError)
    status = STATUS.get(type(exc), 500)
    count_storage_error(request, exc)
    if status == 500:
        logger.error("storage error on page %s", request.url.path, exc_info=exc)
    response = error_page(request, status, exc.message)
    if status == 503:
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


async def _invalid(request: Request, exc: Exception) -> Response:
    # A page's path or query that does not fit (/p/abc, a forged cursor): not found.
    if not is_page(request):
        return await validation_error(request, exc)
    return error_page(request, 404)


async def _csrf(request: Request, exc: Exception) -> Response:
    detail = "This form has expired or did not come from this site. Go back, reload and try again."
    return render(request, "error.html", status=403, title="Form expired", message=detail)


def crash_page(scope: Scope) -> Response | None:
    """The 500 page for a page request whose handler raised, or None for the JSON 500.

    ``api.edge.Edge`` logs the error (once) and asks this before answering.
    """
    request = Request(scope)
    return error_page(request, 500) if is_page(request) else None


def install(app: FastAPI) -> None:
    """Put the page-aware handlers in front of the API's."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(StorageError, _storage_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(CsrfFailed, _csrf)
