"""The web pages: server-rendered HTML for people, beside the JSON API.

::

    rendering.py  the Jinja2 environment, filters, ``render`` and the security headers
    session.py    the session cookie (the API's own JWT) and the caller it names
    csrf.py       signed double-submit tokens for every form
    forms.py      reading a form into a ``storage.types`` model, errors per field
    errors.py     404/403/500... as pages for page requests, JSON for everything else
    feed.py       home, post, tag and user pages
    catalog.py    the shop and product pages
    account.py    sign up, log in, log out, profile
    pictures.py   one's picture: upload and remove (the pictures service)
    editor.py     writing and editing posts
    admin.py      categories and products (admins)

Pages call the same storage protocol, the same validation (``storage.types``)
and the same permission table (``api.auth.policy``) as the JSON routers. The
session cookie is read by pages only: the JSON API stays bearer-only, so a
forged cross-site request can never act on it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from web import account, admin, catalog, editor, errors, feed, pictures
from web.rendering import Pages

STATIC = Path(__file__).parent / "static"


def install_pages(app: FastAPI, key: str) -> None:
    """Mount the pages, their static files and their error pages on ``app``."""
    app.state.pages = Pages(key)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (feed, catalog, account, pictures, editor, admin):
        app.include_router(module.router)
    errors.install(app)
