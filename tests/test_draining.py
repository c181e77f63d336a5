"""A stopping server answers the connections still waiting in the kernel's accept queue.

In process and deterministic: the server's event loop is held busy while
clients connect and send (the kernel queues them), then the stop begins; a
plain uvicorn server would reset them when it closes the listening socket.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
from starlette.types import Receive, Scope, Send

from api.serving.protocol import GuardedProtocol, ServerConfig
from api.serving.server import DrainingServer, accept_queued
from tests.servers import read_response, status_of

pytestmark = pytest.mark.anyio


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


def listening() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def test_accept_queued_takes_every_waiting_connection_without_blocking() -> None:
    with listening() as listener:
        clients = [socket.create_connection(listener.getsockname(), timeout=5) for _ in range(3)]
        taken = accept_queued([listener])
        assert len(taken) == 3
        assert accept_queued([listener]) == []  # empty queue: returns at once
        for sock in [*taken, *clients]:
            sock.close()


async def test_stopping_server_answers_connections_queued_in_the_kernel() -> None:
    config = ServerConfig(hello, http=GuardedProtocol, lifespan="off", log_config=None)
    config.load()
    server = DrainingServer(config)
    server.lifespan = config.lifespan_class(config)
    listener = listening()
    await server.startup(sockets=[listener])

    queued = threading.Event()
    answers: list[int] = []

    def clients() -> None:
        socks = []
        for _ in range(3):
            sock = socket.create_connection(listener.getsockname(), timeout=10)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            socks.append(sock)
        queued.set()
        for sock in socks:
            with sock:
                answers.append(status_of(read_response(sock, 30)))

    thread = threading.Thread(target=clients)
    thread.start()
    # Hold the event loop (deliberately blocking) until all three are queued, so
    # the server cannot have accepted them; then stop at once.
    assert queued.wait(30)
    time.sleep(0.1)  # noqa: ASYNC251 - blocking the loop is the point here
    await server.shutdown(sockets=[listener])
    await asyncio.to_thread(thread.join, 30)
    assert answers == [200, 200, 200]
