"""Rendering a page: one Jinja2 environment (autoescaping on), filters, security headers."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from api.auth.policy import Action, allowed
from storage.types.pictures import DEFAULT_SIZE, SIZES
from web import csrf

TEMPLATES = Path(__file__).parent / "templates"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DEFAULT_PICTURE = "/static/avatar.svg"

SECURITY_HEADERS = {
    # No inline script or style anywhere: the pages need no JavaScript at all.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def readable_date(value: datetime) -> str:
    """``29 Nov 2026`` (UTC), the same in every locale."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def iso(value: datetime) -> str:
    """The machine-readable form for ``<time datetime>``."""
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def safe_url(value: object) -> str:
    """A user-supplied link that can only go somewhere harmless.

    Site-relative paths and http(s) URLs pass; anything else (``javascript:``,
    ``data:``, protocol-relative ``//host``) becomes ``#``.
    """
    text = str(value or "").strip()
    if text.startswith("/") and not text.startswith("//"):
        return text
    if urlsplit(text).scheme.lower() in {"http", "https"}:
        return text
    return "#"


def excerpt(text: str, length: int = 200) -> str:
    """The start of ``text``, cut at a word, with an ellipsis if cut."""
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"


_BLANK_LINE = re.compile(r"\r?\n[ \t]*\r?\n")


def paragraphs(text: str) -> list[str]:
    """A post's paragraphs: text separated by blank lines (as browsers send them: CRLF)."""
    return [part.strip() for part in _BLANK_LINE.split(text) if part.strip()]


def picture_of(person: object, size: int = DEFAULT_SIZE) -> str:
    """The picture of a user or author at ``size`` px (one of ``SIZES``).

    ``image_url`` names the largest size; the others differ only in the last
    segment, so a 32 px avatar fetches the 64 px image (sharp on a 2x screen),
    not the 256 px one.
    """
    url = getattr(person, "image_url", None)
    if not url:
        return DEFAULT_PICTURE
    if size in SIZES:
        url = f"{url.rpartition('/')[0]}/{size}"
    return safe_url(url)


class Pages:
    """The template environment and the keys the pages sign with."""

    def __init__(self, key: str) -> None:
        self.csrf_key = hmac.new(key.encode(), b"pages:csrf", hashlib.sha256).digest()
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            date=readable_date,
            iso=iso,
            safe_url=safe_url,
            excerpt=excerpt,
            picture=picture_of,
            paragraphs=paragraphs,
        )
        # Templates ask the permission table, as routes do: {% if may(Action.X) %}.
        self.env.globals["Action"] = Action

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """``name`` rendered for ``request``, with the CSRF token and the security headers."""
        token = csrf.token_for(request, self.csrf_key)
        caller = context.setdefault("caller", getattr(request.state, "caller", None))
        context.setdefault("may", lambda action, owner=None: allowed(caller, action, owner))
        context.setdefault("errors", {})
        context.setdefault("values", {})
        html = self.env.get_template(name).render(request=request, csrf_token=token, **context)
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        csrf.set_cookie(request, response)
        return response


def pages_of(request: Request) -> Pages:
    """The app's ``Pages``."""
    pages: Pages = request.app.state.pages
    return pages


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Shorthand for ``pages_of(request).render(...)``."""
    return pages_of(request).render(request, name, status, **context)
