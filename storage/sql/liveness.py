"""Pooled connections that died while idle, and connections to a server that stopped answering.

Two pool events, installed on every engine of a server database:

- **checkout**: a connection whose socket the server already closed (a
  restart, ``pg_terminate_backend``, MariaDB's ``wait_timeout``, a crash) is
  replaced before it is used. The event loop saw the close when it happened,
  so this costs no round trip: it is the read engine's substitute for
  ``pool_pre_ping``, whose ping per checkout it was built to avoid. Without
  it the first read on each stale connection after a restart would be a 503
  although the server is back.
- **invalidate** (asyncpg): a connection dropped because the server did not
  answer in time is aborted at once. SQLAlchemy otherwise closes it politely
  and waits up to two more seconds for a goodbye that a frozen server never
  sends, past the bound the operation promised.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine


def install(engine: AsyncEngine) -> None:
    """Add the two events to ``engine``'s pool (not needed for SQLite: no socket)."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkout")
    def _replace_if_closed(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if closed_by_peer(record.driver_connection):
            # The pool invalidates this connection, opens a new one, and runs
            # the checkout again; it is not a statement, so nothing is retried.
            raise sa_exc.DisconnectionError("connection closed by the server while pooled")

    @event.listens_for(pool, "invalidate")
    def _abort_if_unanswered(_dbapi_connection: Any, record: Any, exception: Any) -> None:
        if isinstance(exception, (TimeoutError, asyncio.CancelledError)):
            abort = getattr(record.driver_connection, "terminate", None)  # asyncpg
            if callable(abort):
                abort()


def closed_by_peer(driver_connection: Any) -> bool:
    """Whether the driver already knows the connection's socket is closed (no I/O)."""
    is_closed = getattr(driver_connection, "is_closed", None)  # asyncpg
    if callable(is_closed):
        return bool(is_closed())
    # asyncmy has no public flag; this property is what its own reads check.
    return bool(getattr(driver_connection, "_stream_broken", False))
