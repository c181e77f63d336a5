"""Request ids, Server-Timing, the request log line, one traceback per 500, /metrics.

In process, through the ASGI transport; the log lines are read as an operator's
collector would, through the same formatter and filter ``serve`` installs.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

import api.main
from api.observability.logs import JsonLineFormatter, RequestIdFilter, TextFormatter
from api.settings import Settings
from bench.roundtrips import counting_round_trips
from tests.conftest import BackendCase, http_client, settings_for
from tests.helpers import new_user
from tests.resetting import reset_storage
from tests.test_health import DownStorage

pytestmark = pytest.mark.anyio


class Captured:
    """Records logged under ``api`` and ``storage``, as the JSON lines ``serve`` writes."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def access(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["logger"] == "api.access"]


@pytest.fixture
def json_log() -> Iterator[Captured]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("api", "storage")]
    saved = [(lg, lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
        lg.propagate = False  # keep pytest's own capture out of the count
    try:
        yield Captured(stream)
    finally:
        for lg, level, propagate in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate


def timing(response: httpx.Response) -> tuple[int, float]:
    """Round trips and database milliseconds from ``Server-Timing``."""
    match = re.fullmatch(
        r'db;dur=([\d.]+);desc="(\d+) round trips?", total;dur=([\d.]+)',
        response.headers["server-timing"],
    )
    assert match, response.headers["server-timing"]
    return int(match.group(2)), float(match.group(1))


async def test_request_id_is_echoed_when_valid_and_made_up_otherwise(
    client: httpx.AsyncClient,
) -> None:
    given = "3f2c9a1e-8b7d-4c6e-9f0a-1b2c3d4e5f60"
    assert (await client.get("/", headers={"X-Request-ID": given})).headers["x-request-id"] == given
    generated = {(await client.get("/")).headers["x-request-id"] for _ in range(3)}
    assert len(generated) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", g) for g in generated)
    for hostile in ("a b", "x" * 129, 'quote"d', "new\\nline", ""):
        echoed = (await client.get("/", headers={"X-Request-ID": hostile})).headers["x-request-id"]
        assert echoed != hostile and re.fullmatch(r"[0-9a-f]{32}", echoed)


async def test_server_timing_counts_the_round_trips_of_each_request(
    client: httpx.AsyncClient,
) -> None:
    user = await new_user(client)
    with counting_round_trips() as sent:
        response = await client.get(f"/users/{user['id']}")
    trips, db_ms = timing(response)
    assert trips == len(sent) >= 1
    assert db_ms > 0
    # Refused before any storage call: no round trip at all (without a token to
    # check: checking one reads the account, one round trip).
    anonymous = {"Authorization": ""}
    assert timing(await client.get("/users/abc", headers=anonymous))[0] == 0
    assert timing(await client.get("/no/such/path", headers=anonymous))[0] == 0


async def test_one_json_line_per_request_with_route_template_and_no_body(
    client: httpx.AsyncClient, json_log: Captured
) -> None:
    user = await new_user(client, email="private.person@example.com", name="Hidden Name")
    response = await client.get(f"/users/{user['id']}", headers={"X-Request-ID": "req-42"})
    await client.get("/users/999999")
    lines = json_log.access()
    assert [(line["method"], line["route"], line["status"]) for line in lines] == [
        ("POST", "/users", 201),
        ("GET", "/users/{user_id}", 200),
        ("GET", "/users/{user_id}", 404),
    ]
    read = lines[1]
    assert read["request_id"] == "req-42" == response.headers["x-request-id"]
    assert read["level"] == "INFO" and read["time"].endswith("Z")
    assert read["db_round_trips"] == timing(response)[0]
    assert read["duration_ms"] >= read["db_ms"] >= 0
    text = json_log.stream.getvalue()
    assert "private.person" not in text and "Hidden Name" not in text
    assert f"/users/{user['id']}" not in text  # the template, never the raw path


async def test_an_unhandled_error_is_one_500_and_one_traceback(
    app: FastAPI, client: httpx.AsyncClient, json_log: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any) -> None:
        raise RuntimeError("boom from a bug")

    monkeypatch.setattr(app.state.storage.users, "get", broken)
    response = await client.get("/users/1")  # the transport would raise if the error escaped
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}
    errors = [line for line in json_log.lines() if line["level"] == "ERROR"]
    assert len(errors) == 1, errors
    assert "boom from a bug" in errors[0]["exc_info"]
    assert errors[0]["exc_info"].count("Traceback") == 1
    assert errors[0]["request_id"] == response.headers["x-request-id"]
    assert errors[0]["msg"] == "unhandled error on GET /users/{user_id}"
    assert json_log.access()[-1]["status"] == 500


@pytest.fixture
async def down_app(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    async def open_down(*args: Any, **kwargs: Any) -> DownStorage:
        return DownStorage()

    monkeypatch.setattr(api.main, "open_storage", open_down)
    settings = Settings(_env_file=None, metrics_enabled=True)  # type: ignore[call-arg]
    application = api.main.create_app(settings)
    async with LifespanManager(application):
        yield application


async def test_a_503_is_logged_with_level_time_and_request_id(
    down_app: FastAPI, json_log: Captured
) -> None:
    async with http_client(down_app) as client:
        response = await client.get("/users/1", headers={"X-Request-ID": "outage-1"})
    assert response.status_code == 503
    [warning] = [line for line in json_log.lines() if line["level"] == "WARNING"]
    assert warning["request_id"] == "outage-1"
    assert warning["logger"] == "api"
    assert warning["msg"].startswith("storage unavailable on /users/{user_id}")
    assert "exc_info" not in warning
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", warning["time"])


async def test_start_up_line_names_backend_and_database_at_info(
    backend: BackendCase, database_urls: dict[str, str], json_log: Captured
) -> None:
    application = api.main.create_app(settings_for(backend, database_urls[backend.id]))
    async with LifespanManager(application):
        pass
    [line] = [line for line in json_log.lines() if line["msg"].startswith("storage open")]
    assert line["level"] == "INFO"
    assert line["backend"] == backend.backend
    assert line["database"] == application.state.storage.database


def test_target_in_logs_never_has_credentials() -> None:
    def target(**values: str) -> str:
        return Settings(_env_file=None, **values).target()  # type: ignore[call-arg]

    assert target(database_url="postgresql://app:s3cret@db:5432/shop") == "db:5432/shop"
    assert target(database_url="mysql://root:s3cret@maria/app") == "maria/app"
    mongo = target(storage_backend="mongo", mongo_url="mongodb://u:s3cret@a:1,b:2/shop?x=1")
    assert mongo == "a:1,b:2/shop"


def test_text_format_is_one_readable_line_with_the_request_id() -> None:
    record = logging.LogRecord(
        "api", logging.WARNING, __file__, 1, "storage down: %s", ("x",), None
    )
    record.request_id = "abc"
    line = TextFormatter().format(record)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING api: storage down: x \[abc\]", line
    )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_are_off_by_default(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404


@pytest.fixture
async def metrics_app(database_urls: dict[str, str]) -> AsyncIterator[FastAPI]:
    from tests.conftest import CASES

    sqlite = next(case for case in CASES if case.id == "sqlite")
    settings = settings_for(
        sqlite,
        database_urls["sqlite"],
        metrics_enabled=True,
        metrics_token="t0ken",
        sql_pool_size=7,
    )
    application = api.main.create_app(settings)
    async with LifespanManager(application):
        await reset_storage(application.state.storage)
        yield application


async def test_metrics_count_requests_by_route_and_status_behind_a_token(
    metrics_app: FastAPI,
) -> None:
    async with http_client(metrics_app) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        for _ in range(3):
            assert (await client.get("/users/424242")).status_code == 404
        await client.get("/no/such/path")
        scrape = await client.get("/metrics", headers={"Authorization": "Bearer t0ken"})
    assert scrape.status_code == 200
    found = samples(scrape.text)
    route = (("method", "GET"), ("route", "/users/{user_id}"), ("status", "404"))
    assert found[("http_request_duration_seconds_count", route)] == 3
    unmatched = (("method", "GET"), ("route", "<unmatched>"), ("status", "404"))
    assert found[("http_request_duration_seconds_count", unmatched)] == 1
    assert found[("storage_errors_total", (("kind", "not_found"),))] == 3
    assert found[("http_requests_in_progress", ())] == 1  # the scrape itself
    # SQL_POOL_SIZE each; SQLite's reads add the event loop's own connection (reads by key).
    for pool, most in (("write", 7), ("read", 8)):
        assert found[("db_pool_connections_max", (("pool", pool),))] == most
        assert found[("db_pool_connections_in_use", (("pool", pool),))] == 0
    assert found[("db_pool_connections_open", (("pool", "read"),))] >= 1


async def test_metrics_count_unavailable_database_errors(down_app: FastAPI) -> None:
    async with http_client(down_app) as client:
        await client.get("/users/1")
        await client.get("/health")
        scrape = await client.get("/metrics")
    found = samples(scrape.text)
    assert found[("storage_errors_total", (("kind", "unavailable"),))] == 2


async def test_every_backend_reports_its_pools(
    app: FastAPI, client: httpx.AsyncClient, backend: BackendCase
) -> None:
    user = await new_user(client)  # a write
    assert (await client.get(f"/users/{user['id']}")).status_code == 200  # and a read
    usages = {usage.pool: usage for usage in app.state.storage.pool_usage()}
    expected = {"mongo"} if backend.backend == "mongo" else {"write", "read"}
    assert set(usages) == expected
    for usage in usages.values():
        assert usage.in_use == 0  # nothing is being served now
        assert usage.open >= 1  # the requests above needed a connection
        assert usage.size is not None and usage.size >= usage.open
