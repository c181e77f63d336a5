"""One retry rule with one deadline, on every backend (``storage.retry``).

- the rule itself, on a simulated clock: a transient failure runs again after
  a bounded, jittered pause; every attempt shares the deadline taken before
  the first; no attempt starts and no pause ends past it; anything else is
  raised at once;
- the stores: a write refused at COMMIT for a transient reason (a Galera
  certification conflict, MariaDB error 1213 / SQLSTATE 40001; PostgreSQL's
  serialization failure; MongoDB's ``TransientTransactionError``) is run
  again and the client never sees it; one refused every time ends, within
  ``DB_TIMEOUT`` and with one deadline for all its attempts, as a 503.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import OperationFailure
from sqlalchemy import exc as sa_exc

from api.errors import UNAVAILABLE
from storage.errors import Conflict, Unavailable
from storage.mongo.runner import Runner, _past_deadline
from storage.retry import MAX_PAUSE, pause_ceiling, retrying
from storage.sql.database import Database
from storage.sql.errors import is_transient
from tests.accounts import admin_token, sign_up_body
from tests.conftest import ENABLED, BackendCase, http_client, running_app
from tests.helpers import items

pytestmark = pytest.mark.anyio


class Clock:
    """A simulated monotonic clock: time passes only when an attempt or a pause says so."""

    def __init__(self) -> None:
        self.now = 100.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def failing(clock: Clock, outcomes: list[Exception | str], took: float = 0.01) -> Any:
    """An attempt that takes ``took`` seconds and then raises or returns the next outcome."""
    deadlines: list[float] = []
    starts: list[float] = []

    async def attempt(deadline: float) -> str:
        deadlines.append(deadline)
        starts.append(clock.now)
        clock.now += took
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    attempt.deadlines = deadlines  # type: ignore[attr-defined]
    attempt.starts = starts  # type: ignore[attr-defined]
    return attempt


def busy() -> Unavailable:
    return Unavailable("Database busy: deadlock", transient=True)


async def test_a_transient_failure_runs_again_under_the_first_deadline() -> None:
    clock = Clock()
    attempt = failing(clock, [busy(), busy(), "done"])
    assert await retrying(attempt, 5.0, clock=clock, sleep=clock.sleep) == "done"
    assert attempt.deadlines == [105.0, 105.0, 105.0]
    assert [pause <= pause_ceiling(n) for n, pause in enumerate(clock.pauses, 1)] == [True, True]


@pytest.mark.parametrize(
    "error",
    [Unavailable("Database unavailable: connection refused"), Conflict("Email already registered")],
)
async def test_anything_but_a_transient_failure_is_raised_at_once(error: Exception) -> None:
    clock = Clock()
    attempt = failing(clock, [error])
    with pytest.raises(type(error)):
        await retrying(attempt, 5.0, clock=clock, sleep=clock.sleep)
    assert len(attempt.deadlines) == 1
    assert clock.pauses == []


@pytest.mark.parametrize("took", [0.0, 0.01, 0.7])
async def test_a_failure_that_never_clears_ends_by_the_deadline(took: float) -> None:
    clock = Clock()
    attempt = failing(clock, [busy()], took=took)
    with pytest.raises(Unavailable, match="Database busy"):
        await retrying(attempt, 2.0, clock=clock, sleep=clock.sleep)
    assert len(attempt.starts) > 1
    assert max(attempt.starts) < 102.0  # no attempt starts past the deadline
    # Only the attempt in flight runs past it (the backend cuts that one at the
    # deadline); no pause is taken after it.
    assert clock.now <= 102.0 + took
    assert max(clock.pauses) <= MAX_PAUSE
    assert set(attempt.deadlines) == {102.0}


class DriverError(Exception):
    """What asyncmy or asyncpg raise, as far as the classification reads it."""

    def __init__(self, code: int | None, message: str, sqlstate: str | None = None) -> None:
        super().__init__(*((code, message) if code is not None else (message,)))
        self.sqlstate = sqlstate


GALERA = DriverError(
    1213,
    "WSREP detected deadlock/conflict and aborted the transaction. Try restarting the transaction",
    "40001",
)
SERIALIZATION = DriverError(None, "could not serialize access", "40001")


@pytest.mark.parametrize(
    ("driver_error", "transient"),
    [
        (GALERA, True),
        (DriverError(1213, "Deadlock found when trying to get lock"), True),
        (SERIALIZATION, True),
        (DriverError(None, "deadlock detected", "40P01"), True),
        (DriverError(1205, "Lock wait timeout exceeded"), False),
        (DriverError(None, "canceling statement due to lock timeout", "55P03"), False),
        (DriverError(2013, "Lost connection to server during query"), False),
    ],
)
def test_sql_classifies_what_running_again_can_clear(
    driver_error: DriverError, transient: bool
) -> None:
    assert is_transient(sa_exc.OperationalError("COMMIT", None, driver_error)) is transient


@contextmanager
def refused_commits(app: FastAPI, times: int | None) -> Iterator[list[float]]:
    """Make the next ``times`` commits (None: every one) fail transiently; yield attempt deadlines.

    SQL: the commit raises what a Galera node answers to a certification
    conflict. MongoDB: what a replica set answers to a write conflict.
    """
    storage = app.state.storage
    deadlines: list[float] = []
    left = [times]

    def refuse() -> bool:
        if left[0] == 0:
            return False
        if left[0] is not None:
            left[0] -= 1
        return True

    if storage.backend == "sql":
        database: Database = storage.db
        write = database.write
        dialect = storage.engine.dialect
        commit_with = dialect.do_commit

        def recording_write(*args: Any, **kwargs: Any) -> Any:
            deadlines.append(kwargs["deadline"])
            return write(*args, **kwargs)

        def do_commit(dbapi_connection: Any) -> None:
            if not refuse():
                commit_with(dbapi_connection)
                return
            # What a Galera node does: the transaction is gone, COMMIT says so.
            dbapi_connection.rollback()
            error = dialect.loaded_dbapi.OperationalError(*GALERA.args)
            error.sqlstate = GALERA.sqlstate
            raise error

        database.write = recording_write  # type: ignore[method-assign]
        dialect.do_commit = do_commit  # type: ignore[method-assign]
        try:
            yield deadlines
        finally:
            del dialect.do_commit
            del database.write
        return
    runner: Runner = storage.runner
    attempt = runner._attempt
    commit = AsyncClientSession.commit_transaction

    async def recording_attempt(work: Callable[..., Awaitable[Any]], deadline: float) -> Any:
        deadlines.append(deadline)
        return await attempt(work, deadline)

    async def refusing_commit(session: AsyncClientSession) -> None:
        if refuse():
            # What the server does to a transaction it refuses: gone (whatever is
            # left of the operation's deadline, which the abort must not depend on).
            await _past_deadline(session.abort_transaction())
            labels = {"errorLabels": ["TransientTransactionError"], "codeName": "WriteConflict"}
            raise OperationFailure("Write conflict", 112, labels)
        await commit(session)

    runner._attempt = recording_attempt  # type: ignore[method-assign]
    AsyncClientSession.commit_transaction = refusing_commit  # type: ignore[method-assign]
    try:
        yield deadlines
    finally:
        AsyncClientSession.commit_transaction = commit  # type: ignore[method-assign]
        del runner._attempt


@pytest.mark.parametrize("case", ENABLED, ids=[case.id for case in ENABLED])
async def test_a_commit_refused_once_is_run_again_and_the_client_never_sees_it(
    case: BackendCase, database_urls: dict[str, str]
) -> None:
    async with running_app(case, database_urls[case.id]) as app:  # noqa: SIM117 (the token needs the app)
        async with http_client(app, await admin_token(app)) as client:
            with refused_commits(app, times=2) as deadlines:
                # A bulk sign-up is one transaction on every backend.
                body = [sign_up_body("ada@example.com")]
                response = await client.post("/users/bulk", json=body)
            assert response.status_code == 201, response.text
            assert len(deadlines) == 3 and len(set(deadlines)) == 1
            assert await items(client, "/users", "username", name="Ada") == ["ada"]


@pytest.mark.parametrize("case", ENABLED, ids=[case.id for case in ENABLED])
async def test_a_commit_refused_every_time_is_a_503_within_db_timeout(
    case: BackendCase, database_urls: dict[str, str]
) -> None:
    # Short (the test waits it out), with a statement bound below the operation's:
    # SQLite retries only with a whole busy timeout left. Not shorter: the app's
    # start empties the database under that statement timeout.
    short = {
        "db_timeout": 2.0,
        "db_connect_timeout": 2.0,
        "db_pool_timeout": 2.0,
        "db_statement_timeout": 1.0,
    }
    async with running_app(case, database_urls[case.id], **short) as app:  # noqa: SIM117 (the token needs the app)
        async with http_client(app, await admin_token(app)) as client:
            with refused_commits(app, times=None) as deadlines:
                body = [sign_up_body("ada@example.com")]
                response = await client.post("/users/bulk", json=body)
            assert response.status_code == 503, response.text
            assert response.json() == {"detail": UNAVAILABLE}
            # Retried, and every attempt under the one deadline the first one got.
            assert len(deadlines) > 1 and len(set(deadlines)) == 1
            assert await items(client, "/users", "username", name="Ada") == []


async def test_no_attempt_starts_without_the_time_a_blocking_one_may_take() -> None:
    # SQLite: an attempt can wait a whole busy timeout in a thread, past any cancellation.
    clock = Clock()
    attempt = failing(clock, [busy()], took=1.0)
    with pytest.raises(Unavailable):
        await retrying(attempt, 3.0, blocking=1.0, clock=clock, sleep=clock.sleep)
    assert all(start + 1.0 < 103.0 for start in attempt.starts)
    assert clock.now <= 103.0
