"""Stopping without dropping: a draining uvicorn server and a multi-worker supervisor.

On SIGTERM (or SIGINT) uvicorn stops accepting, lets in-flight requests finish
(``timeout_graceful_shutdown``) and exits. Two gaps remain in uvicorn 0.54, both
closed here:

* Connections the kernel has accepted but the server has not yet taken from
  the listening socket's queue are reset when the socket closes: their
  clients sent a request and get no answer. ``DrainingServer`` takes them from
  the queue just before closing it (no ``await`` in between, so asyncio cannot
  interleave) and answers each one's request.
* With ``--workers N``, uvicorn's supervisor keeps its own copy of the
  listening socket open until every worker has exited, so during the drain
  the kernel keeps accepting connections that no process will ever take; they
  hang, then are reset. ``Supervisor`` closes its copy the moment the signal
  arrives: the socket then closes with the last worker's drain, and new
  connections are refused (``ECONNREFUSED``), which a client or a load
  balancer can retry elsewhere safely.

What no server process can close by itself: a connection whose handshake
completes in the microseconds between the last worker's final ``accept`` and
its ``close``. Take the instance out of the load balancer before stopping it
(README, "Stopping").
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable
from types import FrameType

from uvicorn.config import Config
from uvicorn.server import Server
from uvicorn.supervisors import Multiprocess, multiprocess

from api.serving.protocol import GuardedProtocol

logger = logging.getLogger("api.serving")

MAX_ADOPTED = 10_000
"""At most this many queued connections are answered at stop (the listen backlog is smaller)."""


def accept_queued(listeners: list[socket.socket]) -> list[socket.socket]:
    """Take every connection waiting in the listening sockets' accept queues, without blocking."""
    accepted: list[socket.socket] = []
    for listener in listeners:
        if listener.fileno() < 0:
            continue  # already closed
        listener.setblocking(False)
        while len(accepted) < MAX_ADOPTED:
            try:
                connection, _ = listener.accept()
            except OSError:  # BlockingIOError: the queue is empty
                break
            accepted.append(connection)
    return accepted


class DrainingServer(Server):
    """A uvicorn ``Server`` that answers the connections still queued when it stops."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        listeners = list(sockets or [])
        queued = accept_queued(listeners)
        for server in self.servers:
            server.close()
        for listener in listeners:
            listener.close()
        if queued:
            logger.info("answering %d connection(s) accepted before the stop", len(queued))
        for connection in queued:
            await self._adopt(connection)
        await super().shutdown(sockets)

    async def _adopt(self, connection: socket.socket) -> None:
        """Serve one request on ``connection`` (then close it), as if accepted normally."""
        config = self.config

        def one_request() -> asyncio.Protocol:
            protocol: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )
            if isinstance(protocol, GuardedProtocol):
                protocol.last_request = True
            return protocol

        connection.setblocking(False)
        try:
            await asyncio.get_running_loop().connect_accepted_socket(one_request, connection)
        except OSError:
            connection.close()  # the client has already gone


class DrainingProcess(multiprocess.Process):
    """A uvicorn worker process that runs a ``DrainingServer``."""

    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = DrainingServer(config=self.config)
        return self._server


class Supervisor(Multiprocess):
    """uvicorn's multi-worker supervisor that lets go of the listening socket when told to stop.

    ``on_worker_gone(pid)`` is called for each worker that exited or was
    replaced (Prometheus' multiprocess mode drops its live gauges).
    """

    def __init__(
        self,
        config: Config,
        sockets: list[socket.socket],
        on_worker_gone: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(config, sockets)
        self.stopping = False
        self.on_worker_gone = on_worker_gone
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)

    def run(self) -> None:
        """Run the workers until told to stop; each worker is a ``DrainingProcess``."""
        # uvicorn creates its worker processes by the module-global name
        # ``Process`` (at start, on a crash, on SIGHUP/SIGTTIN), with no hook to
        # choose the class: point the name at ours while this supervisor runs.
        original = multiprocess.Process
        multiprocess.Process = DrainingProcess  # type: ignore[misc]
        try:
            super().run()
        finally:
            multiprocess.Process = original  # type: ignore[misc]

    def _stop(self, sig: int, _frame: FrameType | None) -> None:
        # Runs in the main thread at once (not at the next 0.5 s tick): the
        # workers hold their own copies of the socket, drain and close them.
        self.stopping = True
        for listener in self.sockets:
            listener.close()
        self.signal_queue.append(sig)

    def keep_subprocess_alive(self) -> None:
        if self.stopping:
            return  # a replacement could not listen: the socket is closed
        self._reaping(super().keep_subprocess_alive)

    def handle_signals(self) -> None:
        self._reaping(super().handle_signals)  # SIGHUP, SIGTTOU replace or retire workers

    def _reaping(self, step: Callable[[], None]) -> None:
        before = {process.pid for process in self.processes}
        step()
        after = {process.pid for process in self.processes}
        for pid in before - after:
            if pid is not None and self.on_worker_gone is not None:
                self.on_worker_gone(pid)
