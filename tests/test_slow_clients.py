"""Connections that send nothing, or a request head at 1 byte per interval, are closed.

A real server with a 2-second request-head deadline; bounds are generous and
only upper bounds are asserted (a guard that never fires is what would break).
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import RunningServer, read_response, serving, status_of

HEAD_SECONDS = 2
BOUND_SECONDS = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder: Path = tmp_path_factory.mktemp("slow-clients")
    with serving(folder, "--timeout-request-headers", str(HEAD_SECONDS)) as running:
        yield running


def connect(server: RunningServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def trickle(sock: socket.socket, data: bytes, interval: float = 0.25) -> bytes:
    """Send ``data`` a byte at a time until the server answers or closes; return its answer."""
    sock.settimeout(interval)
    deadline = time.monotonic() + BOUND_SECONDS
    for byte in data:
        assert time.monotonic() < deadline, "the server kept a trickling connection open"
        try:
            sock.send(bytes([byte]))
        except OSError:  # closed under us: what it said (if anything) is in the buffer
            break
        try:
            answer = sock.recv(65536)
        except TimeoutError:
            continue
        return answer + read_response(sock, BOUND_SECONDS) if answer else b""
    return read_response(sock, BOUND_SECONDS)


def read_one_response(sock: socket.socket) -> bytes:
    """One whole response (head and ``Content-Length`` body) from a kept-alive connection."""
    sock.settimeout(BOUND_SECONDS)
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    declared = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
    assert declared is not None, head
    length = int(declared.group(1))
    while len(body) < length:
        body += sock.recv(65536)
    return received


def test_a_connection_that_sends_nothing_is_closed(server: RunningServer) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        assert read_response(sock, BOUND_SECONDS) == b""  # closed, silently
        assert time.monotonic() - started < BOUND_SECONDS


def test_a_trickled_request_head_gets_408_and_is_closed(server: RunningServer) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: test\r\nX-Padding: " + b"a" * 400
    with connect(server) as sock:
        answer = trickle(sock, head)
    assert status_of(answer) == 408
    assert b'{"detail": "Request head not received in time"}' in answer


def test_the_deadline_applies_again_after_each_response(server: RunningServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        assert status_of(read_one_response(sock)) == 200  # the connection stays open
        answer = trickle(sock, b"GET /health HTTP/1.1\r\nHost: test\r\nX-Padding: " + b"a" * 400)
    assert status_of(answer) == 408


def test_an_oversized_request_head_gets_431(server: RunningServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 70_000)
        assert status_of(read_response(sock, BOUND_SECONDS)) == 431


def test_a_slow_but_timely_client_is_served(server: RunningServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: te")
        time.sleep(0.3)  # well inside the deadline: the request must still be served
        sock.sendall(b"st\r\nConnection: close\r\n\r\n")
        assert status_of(read_response(sock, BOUND_SECONDS)) == 200


def test_the_server_logs_json_lines_with_time_level_and_the_start_up_line(
    server: RunningServer,
) -> None:
    httpx.get(server.url + "/users/77", headers={"X-Request-ID": "from-the-test"}, timeout=10)
    deadline = time.monotonic() + BOUND_SECONDS
    while True:  # the line is written once the response has gone
        lines = server.json_log()  # every line parses as JSON
        access = [line for line in lines if line.get("request_id") == "from-the-test"]
        if access or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert all({"time", "level", "logger", "msg"} <= set(line) for line in lines)
    [start] = [line for line in lines if str(line["msg"]).startswith("storage open")]
    assert start["level"] == "INFO" and start["backend"] == "sql"
    [line] = access
    assert (line["route"], line["status"], line["logger"]) == (
        "/users/{user_id}",
        404,
        "api.access",
    )
    assert any(line["logger"] == "uvicorn.error" for line in lines)  # uvicorn's own, same format
