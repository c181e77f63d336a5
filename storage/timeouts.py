"""How long the service waits on its database: the bounds that turn a hang into a 503.

A database that is gone answers at once (connection refused), so the bounds
matter when it is *frozen* or overloaded: the process is stopped, the network
drops packets, a lock is held. Then every wait must end by itself:

=============  ==========================================================================
``operation``  one storage operation end to end (pool wait, connect, statements,
               retries): past it the request gets 503. SQL: an ``asyncio`` deadline
               around the operation; MongoDB: client-side operation timeout (CSOT).
``connect``    opening one connection (TCP, TLS, handshake, authentication); MongoDB
               also waits this long to find a server.
``pool``       waiting for a free pooled SQL connection when all are in use.
``statement``  one SQL statement: the server cancels it (PostgreSQL
               ``statement_timeout``, MariaDB ``max_statement_time``) and the client
               stops waiting a second later; SQLite waits this long for a lock.
=============  ==========================================================================

Each part is at most ``operation``, so a statement the server cancels is
reported as such (504) rather than overtaken by the operation's deadline (503).
"""

from __future__ import annotations

from dataclasses import dataclass

CLIENT_MARGIN = 1.0
"""Seconds the client waits past ``statement`` for the server's own cancellation to arrive."""


@dataclass(frozen=True)
class Timeouts:
    """Bounds, in seconds, on the waits of one storage operation (defaults in the README)."""

    operation: float = 5.0
    connect: float = 3.0
    pool: float = 3.0
    statement: float = 3.0

    def __post_init__(self) -> None:
        for name in ("connect", "pool", "statement"):
            value = getattr(self, name)
            if not 0 < value <= self.operation:
                raise ValueError(f"{name} timeout {value} s must be > 0 and <= {self.operation} s")

    @property
    def client_statement(self) -> float:
        """How long the client waits for one statement's answer before giving up on the link."""
        return min(self.statement + CLIENT_MARGIN, self.operation)
