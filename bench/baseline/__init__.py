"""The "raw driver ceiling": three of the API's reads served with nothing but the driver.

The benchmark measures the API against this app. It does the same work as the
API for these requests (same queries' shape, same JSON, byte for byte) and
nothing else: no framework, no ORM, no validation models. What the API costs on
top of this is the price of FastAPI, pydantic and SQLAlchemy.

* ``GET /users/{id}``: 200 with the user, 404 ``{"detail":"User not found"}``.
* ``GET /posts?limit=N&skip=S``: a page of published posts ordered by id, each with its
  tags (sorted names) and its author embedded; ``limit`` 1-100 (default 20),
  ``skip`` >= 0 (default 0). Three queries at any page size, as in the API:
  the count, the page (joined with the authors on SQL) and the page's tags
  (SQL) or authors (MongoDB) in one batched query.
* ``GET /products?min_price=…&max_price=…&in_stock=…&sort=price|id&limit=…&skip=…``:
  a page of live products with their category embedded; price bounds rounded
  to whole cents as the API rounds them. Two queries on SQL (the count, the
  page joined with the categories), three on MongoDB (page, count, categories).
* Anything else: 404 ``{"detail":"Not Found"}``; an invalid parameter: 422.

Run it with ``BENCH_BASELINE_URL`` set to the database the API uses (``sqlite:///``,
``postgresql://``, ``mysql://``/``mariadb://`` or ``mongodb://host/db``)::

    BENCH_BASELINE_URL=sqlite:///./app.db uvicorn --factory bench.baseline:create_baseline_app

The database must already hold the API's schema (``python -m api migrate``).
"""

from __future__ import annotations

import os

from bench.baseline.app import ASGIApp, Reads, baseline_app
from bench.baseline.mongo import MongoReads
from bench.baseline.sql import MysqlReads, PostgresReads, SqliteReads

URL_VARIABLE = "BENCH_BASELINE_URL"


def reads_for(url: str) -> Reads:
    """The reads for the database ``url`` names (a SQLAlchemy ``+driver`` suffix is allowed)."""
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme == "sqlite":
        return SqliteReads(url)
    if scheme in ("postgresql", "postgres"):
        return PostgresReads(url)
    if scheme in ("mysql", "mariadb"):
        return MysqlReads(url)
    if scheme == "mongodb":  # mongodb:// and mongodb+srv://
        return MongoReads(url)
    raise ValueError(
        f"{URL_VARIABLE}: unsupported scheme in {url!r}; "
        "use sqlite://, postgresql://, mysql://, mariadb:// or mongodb://"
    )


def create_baseline_app() -> ASGIApp:
    """The app on the database named by ``BENCH_BASELINE_URL`` (``uvicorn --factory``)."""
    url = os.environ.get(URL_VARIABLE)
    if not url:
        raise RuntimeError(f"{URL_VARIABLE} is not set (e.g. sqlite:///./app.db)")
    return baseline_app(reads_for(url))


__all__ = [
    "URL_VARIABLE",
    "MongoReads",
    "MysqlReads",
    "PostgresReads",
    "Reads",
    "SqliteReads",
    "baseline_app",
    "create_baseline_app",
    "reads_for",
]
