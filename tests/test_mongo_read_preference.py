"""MongoDB read preferences, causal reads and write concern, as far as one server can show them.

On the stand-in (or TEST_MONGO_URL's server) the commands the driver sends say
what a replica set would be asked: ``w: majority`` on writes, transactions on
the primary whatever ``readPreference`` says, ``afterClusterTime`` on the reads
of a caller with a position. That a secondary then really waits, and that a
failover keeps majority writes, only a real replica set shows (the README's
stand-in section lists it).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from bson import Timestamp
from pymongo import monitoring

from storage.consistency import Consistency, Position
from storage.mongo.causal import WriteTimes, position_of
from tests.accounts import PASSWORD, sign_up_body
from tests.conftest import CASES
from tests.scaleout.instances import instance

pytestmark = pytest.mark.anyio

MONGO = next(case for case in CASES if case.id == "mongo")
_commands: ContextVar[list[dict[str, Any]] | None] = ContextVar("sent", default=None)


class _Sent(monitoring.CommandListener):
    """Keeps the commands sent in a ``sent()`` block (registered once, for every client)."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        kept = _commands.get()
        if kept is not None:
            kept.append({"name": event.command_name, **event.command})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


@pytest.fixture(scope="module")
def listening() -> None:
    monitoring.register(_Sent())


@pytest.fixture
def sent(listening: None) -> Iterator[list[dict[str, Any]]]:
    kept: list[dict[str, Any]] = []
    token = _commands.set(kept)
    yield kept
    _commands.reset(token)


def _with(url: str, **options: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(options)}"


async def _own_context(request: Awaitable[httpx.Response]) -> httpx.Response:
    # One context per request, as uvicorn gives each request a task of its own,
    # but holding what ``sent`` collects.
    context = contextvars.copy_context()

    async def run() -> httpx.Response:
        return await request

    return await asyncio.create_task(run(), context=context)


async def test_writes_wait_for_a_majority_unless_the_url_says_otherwise(
    database_urls: dict[str, str], sent: list[dict[str, Any]]
) -> None:
    url = database_urls["mongo"]
    async with instance(storage_backend="mongo", mongo_url=url) as (app, api):
        assert app.state.storage.read_lag_bound is None  # primary reads: nothing to track
        answer = await api.post("/users", json=sign_up_body("wc@example.com"))
        assert answer.status_code == 201, answer.text
    inserts = [command for command in sent if command["name"] == "insert"]
    assert inserts and all(c["writeConcern"] == {"w": "majority"} for c in inserts)
    sent.clear()
    async with instance(storage_backend="mongo", mongo_url=_with(url, w="1")) as (_, api):
        assert (await api.post("/users", json=sign_up_body("w1@example.com"))).status_code == 201
    inserts = [command for command in sent if command["name"] == "insert"]
    assert inserts and all(c.get("writeConcern", {"w": 1}) == {"w": 1} for c in inserts)


async def test_secondary_reads_keep_transactions_on_the_primary_and_follow_the_caller(
    database_urls: dict[str, str], sent: list[dict[str, Any]]
) -> None:
    url = _with(database_urls["mongo"], readPreference="secondaryPreferred")
    async with instance(storage_backend="mongo", mongo_url=url) as (app, api):
        storage = app.state.storage
        assert storage.read_lag_bound == 90  # no maxStalenessSeconds: positions kept 90 s
        body = sign_up_body("causal@example.com")
        user = (await _own_context(api.post("/users", json=body))).json()
        form = {"username": body["username"], "password": PASSWORD}
        login = await _own_context(api.post("/auth/token", data=form))
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        # A write in a transaction: PyMongo refuses one whose reads would go to a secondary.
        post = {"title": "On the primary", "content": "Transactions run on the primary."}
        written = await _own_context(api.post("/posts", json=post, headers=auth))
        assert written.status_code == 201, written.text

        # The stand-in has no cluster time to report; a replica set's would be kept
        # like this one, for the caller, by the write that reached it.
        moment = Timestamp(2_000_000_000, 7)
        app.state.shared.positions.remember(
            f"user:{user['id']}", Position({"t": (moment.time << 32) | moment.inc}), 60
        )
        sent.clear()
        mine = await _own_context(api.get(f"/users/{user['id']}", headers=auth))
        assert mine.status_code == 200
        finds = [command for command in sent if command["name"] == "find"]
        assert finds and all(
            c.get("readConcern", {}).get("afterClusterTime") == moment for c in finds
        ), finds

        sent.clear()
        assert (await _own_context(api.get(f"/users/{user['id']}"))).status_code == 200
        assert all("afterClusterTime" not in c.get("readConcern", {}) for c in sent)

        # A list (one snapshot) for that caller: a read-only transaction, on the primary.
        sent.clear()
        listed = await _own_context(
            api.get("/posts", params={"author_id": user["id"]}, headers=auth)
        )
        assert listed.status_code == 200 and listed.json()["total"] == 1
        names = [command["name"] for command in sent]
        assert "commitTransaction" in names
        on_posts = [c for c in sent if "posts" in (c.get("find"), c.get("aggregate"))]
        assert on_posts and all(c.get("autocommit") is False for c in on_posts), on_posts


def test_write_times_are_noted_for_the_request() -> None:
    reply = {"ok": 1, "operationTime": Timestamp(1_800_000_000, 3), "$clusterTime": {"x": 1}}
    position = position_of(reply)
    assert position is not None and position.marks == {"t": (1_800_000_000 << 32) | 3}
    assert position_of({"ok": 1}) is None  # the stand-in: nothing to note

    context = Consistency()

    class Event:
        command_name = "commitTransaction"

    event = Event()
    event.reply = reply  # type: ignore[attr-defined]

    def note() -> None:
        from storage import consistency

        consistency.track(context)
        WriteTimes().succeeded(event)  # type: ignore[arg-type]

    contextvars.copy_context().run(note)
    assert context.required == position
