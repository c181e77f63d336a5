"""SIGTERM on a real server: in-flight requests finish, new connections are refused, and
with several workers no connection the kernel accepted is left without an answer.

"In flight" is made deterministic without a slow endpoint: each request sends
its head and half its body, so the app is waiting for the rest, and the test
sends the rest only after the stop has begun.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.servers import RunningServer, post_user_request, read_response, serving, status_of

BOUND_SECONDS = 30  # generous: a stop that takes longer than this is broken, not slow
# uvicorn re-raises the signal once it has stopped cleanly, so a single server
# ends "killed by SIGTERM", after the drain, as a signal's default would.
CLEAN_EXIT = {0, -signal.SIGTERM}


def start_in_flight(server: RunningServer, count: int) -> list[tuple[socket.socket, bytes]]:
    """``count`` POSTs with half their body sent; returns each socket and what is still to send."""
    pending = []
    for i in range(count):
        head, body = post_user_request(f"in-flight-{i}@example.com")
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(head + body[:10])
        pending.append((sock, body[10:]))
    # Each is on the server once a request after it has been answered on the same
    # worker set; a health check per connection is the cheapest sure sign.
    for _ in range(count):
        assert httpx.get(server.url + "/health", timeout=10).status_code == 200
    return pending


def finish(pending: list[tuple[socket.socket, bytes]]) -> list[int]:
    """Send the rest of each body; return each response's status."""
    statuses = []
    for sock, rest in pending:
        with sock:
            sock.sendall(rest)
            statuses.append(status_of(read_response(sock, BOUND_SECONDS)))
    return statuses


def wait_until_refused(port: int) -> None:
    """Poll until a new connection is refused (bounded)."""
    deadline = time.monotonic() + BOUND_SECONDS
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except ConnectionRefusedError:
            return
        time.sleep(0.05)
    raise AssertionError("new connections were still accepted long after SIGTERM")


def test_sigterm_finishes_in_flight_requests_and_refuses_new_ones(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        pending = start_in_flight(server, 3)
        server.process.send_signal(signal.SIGTERM)
        wait_until_refused(server.port)
        assert server.process.poll() is None, "the server exited with requests in flight"
        assert finish(pending) == [201, 201, 201]
        assert server.wait_for_exit(BOUND_SECONDS) in CLEAN_EXIT


@dataclass
class Hammer:
    """New connections, one after another, each sending a POST; every outcome recorded."""

    port: int
    answered: list[int] = field(default_factory=list)
    refused: int = 0
    failed: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        for attempt in range(5000):  # bounded in count as well as by ``stop``
            if self.stop.is_set():
                return
            head, body = post_user_request(f"hammer-{attempt}@example.com")
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            except ConnectionRefusedError:
                self.refused += 1
                time.sleep(0.01)
                continue
            try:
                with sock:
                    sock.sendall(head + body)
                    response = read_response(sock, BOUND_SECONDS)
            except OSError as exc:  # reset, or no answer in time
                self.failed.append(f"attempt {attempt} at {time.time():.3f}: {exc!r}")
                continue
            status = status_of(response)
            if status:
                self.answered.append(status)
            else:
                self.failed.append(f"attempt {attempt}: closed without a response")


def test_sigterm_with_workers_answers_every_accepted_connection(tmp_path: Path) -> None:
    with serving(tmp_path, "--workers", "2") as server:
        pending = start_in_flight(server, 4)
        hammer = Hammer(server.port)
        thread = threading.Thread(target=hammer.run)
        thread.start()
        try:
            deadline = time.monotonic() + BOUND_SECONDS
            while len(hammer.answered) < 5 and time.monotonic() < deadline:
                time.sleep(0.02)
            server.process.send_signal(signal.SIGTERM)
            while hammer.refused < 20 and time.monotonic() < deadline + BOUND_SECONDS:
                time.sleep(0.02)  # new connections refused while the drain goes on
            assert server.process.poll() is None, "the server exited with requests in flight"
        finally:
            hammer.stop.set()
            thread.join(timeout=BOUND_SECONDS * 2)
        assert finish(pending) == [201] * 4
        assert server.wait_for_exit(BOUND_SECONDS) in CLEAN_EXIT
    assert not hammer.failed, hammer.failed[:5]
    assert hammer.refused >= 20
    assert hammer.answered and set(hammer.answered) == {201}, hammer.answered
