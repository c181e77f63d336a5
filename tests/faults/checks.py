"""What a fault test asserts about the answers it got, and how it counts stored users."""

from __future__ import annotations

import json
from collections.abc import Iterable

import httpx

from api.errors import UNAVAILABLE
from api.routers.meta import DATABASE_DOWN
from storage.timeouts import Timeouts
from tests.faults.load import Outcome

BOUND = Timeouts().operation
"""The service's bound on one database operation (DB_TIMEOUT's default)."""
SLACK = 2.0
"""Scheduling on a loaded two-core machine: the service, the database and the load share it."""
NO_DATABASE = ("/openapi.json", "/docs", "/")
"""Requests the service answers without its database."""


def describe(outcomes: Iterable[Outcome]) -> str:
    """The first few outcomes, one per line, for an assertion message."""
    return "\n".join(str(o) for o in list(outcomes)[:10])


def assert_succeeded(outcomes: list[Outcome], when: str) -> None:
    """Every request answered 2xx (and there was at least one)."""
    assert outcomes, f"no request was sent {when}"
    failed = [o for o in outcomes if o.status is None or not 200 <= o.status < 300]
    assert not failed, f"{len(failed)} of {len(outcomes)} failed {when}:\n{describe(failed)}"


def assert_unavailable(outcomes: list[Outcome], when: str, bound: float = BOUND) -> None:
    """Every request answered 503 with ``Retry-After`` and the generic body, within ``bound``."""
    assert outcomes, f"no request was sent {when}"
    wrong = [
        o
        for o in outcomes
        if o.status != 503
        or o.retry_after is None
        or json.loads(o.body) != {"detail": UNAVAILABLE}
        or o.seconds > bound + SLACK
    ]
    assert not wrong, f"{len(wrong)} of {len(outcomes)} not a prompt 503 {when}:\n{describe(wrong)}"


def assert_no_server_error(outcomes: list[Outcome], when: str) -> None:
    """No 5xx other than a 503 with ``Retry-After``, and no dropped connection."""
    wrong = [
        o
        for o in outcomes
        if o.status is None or (o.status >= 500 and (o.status != 503 or o.retry_after is None))
    ]
    assert not wrong, f"{len(wrong)} broken answers {when}:\n{describe(wrong)}"


async def assert_health_down(client: httpx.AsyncClient, database: str, secrets: list[str]) -> float:
    """``/health`` is a 503 naming the database, without the driver's words; returns its wait."""
    response = await client.get("/health")
    seconds = response.elapsed.total_seconds()
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == database
    assert body["detail"] == DATABASE_DOWN
    for secret in secrets:  # hosts, ports: what the driver's message would have said
        assert secret not in response.text
    assert seconds <= BOUND + SLACK, f"/health took {seconds:.2f} s"
    return seconds


async def assert_answers_without_database(client: httpx.AsyncClient) -> None:
    """The routes that need no database still answer, promptly."""
    for path in NO_DATABASE:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.elapsed.total_seconds() < 1.0 + SLACK, path


def acknowledged_emails(outcomes: Iterable[Outcome]) -> set[str]:
    """Usernames of the users whose creation the client saw acknowledged (201).

    (Usernames, not emails: anyone may read them back, emails only admins.)
    """
    return {
        json.loads(o.body)["username"] for o in outcomes if o.method == "POST" and o.status == 201
    }


async def stored_emails(client: httpx.AsyncClient) -> set[str]:
    """Every user's username, read back through the API a page at a time."""
    emails: set[str] = set()
    skip = 0
    while True:
        response = await client.get("/users", params={"limit": 100, "skip": skip})
        assert response.status_code == 200, response.text
        page = response.json()
        emails |= {user["username"] for user in page["items"]}
        skip += len(page["items"])
        if skip >= page["total"] or not page["items"]:
            return emails
