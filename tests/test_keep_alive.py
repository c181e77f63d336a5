"""Over real sockets: a refused body leaves the keep-alive connection usable.

A 500 made uvicorn close the connection after answering, so the client's next
request on it was lost. Each case sends raw bytes to a real server, then a
valid request on the same connection, which must be answered.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import httpx
import pytest

from storage.factory import migrate_storage
from tests.hostile_json import HOSTILE_BODIES, body_operations
from tests.servers import Server, served

NOT_JSON = {"text_plain": (b'{"name": "Ada"}', "text/plain")}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One SQLite-backed server for the module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('keepalive') / 'app.db'}"
    asyncio.run(migrate_storage("sql", database_url=url, mongo_url=""))
    with served({"STORAGE_BACKEND": "sql", "DATABASE_URL": url}, "--no-access-log") as running:
        yield running
    assert "Traceback" not in running.output, running.output


@pytest.fixture(scope="module")
def operations(server: Server) -> list[tuple[str, str]]:
    """The server's operations that take a body, as its own document lists them."""
    return body_operations(httpx.get(f"{server.url}/openapi.json", timeout=5).json()["paths"])


def request(method: str, path: str, body: bytes = b"", content_type: str | None = None) -> bytes:
    """One HTTP/1.1 request, keep-alive, as raw bytes."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def read_response(sock: socket.socket, buffer: bytearray) -> tuple[int, bytes]:
    """Read one response (status and body, framed by Content-Length) from ``sock``."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed; had {bytes(buffer)!r}"
        buffer.extend(chunk)
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    length = int({k.lower(): v for k, v in headers.items()}["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of a body"
        rest += chunk
    buffer[:] = rest[length:]
    return int(lines[0].split()[1]), rest[:length]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(body, "application/json") for body, _ in HOSTILE_BODIES.values()] + list(NOT_JSON.values()),
    ids=[*HOSTILE_BODIES, *NOT_JSON],
)
def test_refused_body_keeps_the_connection(
    server: Server, operations: list[tuple[str, str]], body: bytes, content_type: str
) -> None:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        buffer = bytearray()
        for method, path in operations:
            sock.sendall(request(method, path, body, content_type))
            status, answer = read_response(sock, buffer)
            assert status in (415, 422), (method, path, status, answer)
            sock.sendall(request("GET", "/health"))
            status, answer = read_response(sock, buffer)
            assert status == 200, (method, path, answer)


def test_method_not_allowed_keeps_the_connection(server: Server) -> None:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        buffer = bytearray()
        sock.sendall(request("PUT", "/users/1", b'{"name": NaN}', "application/json"))
        assert read_response(sock, buffer)[0] == 405
        sock.sendall(request("GET", "/users/1"))
        assert read_response(sock, buffer)[0] == 404
