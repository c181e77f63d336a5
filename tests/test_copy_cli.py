"""``python -m api copy`` as operators run it: verdicts, refusals, resuming, one-line failures."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.databases import mongo_database
from bench.records import RecordSizes, fill
from storage.factory import migrate_storage, open_storage
from storage.types.records import UserRecord
from tests.servers import ROOT
from tests.test_cli import assert_one_line_failure, run_cli

SIZES = RecordSizes(users=200, posts=250, categories=20, products=120, orders=80, pictures=20)


async def _filled(url: str) -> None:
    await migrate_storage("sql", database_url=url, mongo_url="")
    storage = await open_storage("sql", database_url=url, mongo_url="")
    try:
        await fill(storage.transfer, SIZES)
    finally:
        await storage.close()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file holding the generated dataset."""
    url = f"sqlite:///{tmp_path_factory.mktemp('source') / 'source.db'}"
    asyncio.run(_filled(url))
    return url


@pytest.fixture
def target(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'target.db'}"


def copy(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli("copy", *args, **env)


def assert_verified(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Verified: the target matches the source")
    assert f"{SIZES.total():,} records" in lines[0]


@contextmanager
def opened(url: str) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to a ``sqlite:///`` URL's file, committed and closed."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        with conn:  # commits
            yield conn
    finally:
        conn.close()


def count(url: str, table: str) -> int:
    with opened(url) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_copies_then_refuses_a_non_empty_target_unless_resuming(source: str, target: str) -> None:
    first = copy("--from", source, "--to", target, TTY_COMPATIBLE="1")  # bars as on a terminal
    assert_verified(first)
    assert f"Copied {SIZES.total():,} records in" in first.stderr
    for step in ("users", "orders", "verify posts", f"{SIZES.posts}/{SIZES.posts}", "records/s"):
        assert step in first.stderr
    again = copy("--from", source, "--to", target)
    assert_one_line_failure(
        again, "copy: the target already holds records (pictures 20, users 200", "--resume"
    )
    resumed = copy("--from", source, "--to", target, "--resume")
    assert_verified(resumed)
    assert "Copied" not in resumed.stderr  # nothing left to copy


def test_a_stopped_copy_resumes_into_mongo(source: str, mongo_server: str) -> None:
    with mongo_database(mongo_server) as target:
        stopped = copy("--from", source, "--to", target, "--batch-size", "25", "--stop-after", "9")
        assert stopped.returncode == 3, stopped.stderr
        assert stopped.stderr.strip().splitlines()[-1] == (
            "copy: stopped after 9 batches; go on with --resume"
        )
        assert_verified(copy("--from", source, "--to", target, "--resume"))


def _killed_half_way(source: str, target: str) -> None:
    """Start a copy a record at a time and SIGKILL it once it has written some posts.

    Batches of one make the posts alone take hundreds of transactions, so the
    kill lands while they are being written (polled every 10 ms).
    """
    command = [sys.executable, "-m", "api", "copy", "--from", source, "--to", target]
    process = subprocess.Popen(
        [*command, "--batch-size", "1"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("TEST_")},
    )
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if Path(target.removeprefix("sqlite:///")).exists():
                try:
                    if count(target, "posts") > 0:
                        break
                except sqlite3.OperationalError:
                    pass  # not migrated yet
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def test_a_killed_copy_resumes_with_the_same_data(source: str, target: str) -> None:
    # Wherever the kill lands, resuming must end with a verified copy.
    _killed_half_way(source, target)
    assert count(target, "users") == SIZES.users
    assert count(target, "posts") < SIZES.posts
    assert_verified(copy("--from", source, "--to", target, "--resume"))


def test_the_verification_finds_an_altered_target(source: str, target: str) -> None:
    assert_verified(copy("--from", source, "--to", target))
    with opened(target) as conn:
        conn.execute("UPDATE users SET name = 'Mallory' WHERE id = 5")
    failed = copy("--from", source, "--to", target, "--resume")
    assert_one_line_failure(
        failed, "Verification FAILED: users: checksums differ (200 records each)"
    )
    assert failed.stdout == ""
    with opened(target) as conn:
        conn.execute("PRAGMA foreign_keys = ON")  # its lines go with it
        conn.execute("DELETE FROM orders WHERE id = 10")
    failed = copy("--from", source, "--to", target, "--verify-only")
    assert_one_line_failure(
        failed,
        "Verification FAILED: users: checksums differ",
        "orders: 79 in the target, 80 in the source",
    )


async def _one_user(url: str, email: str) -> None:
    await migrate_storage("sql", database_url=url, mongo_url="")
    storage = await open_storage("sql", database_url=url, mongo_url="")
    now = datetime.now(UTC)
    stranger = UserRecord(
        id=1, username="stranger", name="Stranger", email=email, age=40, city="Oslo",
        is_active=True, role="user", password_hash="!", token_version=0, picture=None,
        created_at=now, updated_at=now, version=1,
    )  # fmt: skip
    try:
        await storage.transfer.import_(UserRecord, [stranger])
    finally:
        await storage.close()


def test_a_record_the_target_refuses_stops_the_copy_in_one_line(source: str, target: str) -> None:
    # The target holds a stranger under the source's second user's email.
    asyncio.run(_one_user(target, "user2@example.com"))
    result = copy("--from", source, "--to", target, "--resume")
    assert_one_line_failure(
        result,
        "copy: copying users after id 1 stopped: Email already registered; fix that, then run",
    )


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--from", "http://example.com/x"), ("--from 'http://example.com/x'", "sqlite:///")),
        (("--to", "oracle://u:secret@db/x"), ("--to 'oracle://u:***@db/x'", "not a database URL")),
        (("--to", "sqlite://"), ("--to", "in-memory SQLite database")),
        (("--to", "mongoeco://"), ("memory engine keeps nothing", "mongoeco:///path")),
        (("--from", "sqlite:///no/such.db"), ("no such database file 'no/such.db'",)),
        (("--to", "SOURCE"), ("--from and --to name the same database",)),
    ],
)
def test_bad_urls_are_one_clear_line(
    source: str, target: str, args: tuple[str, str], fragments: tuple[str, ...]
) -> None:
    ends = {"--from": source, "--to": target}
    option, url = args
    ends[option] = source if url == "SOURCE" else url
    result = copy("--from", ends["--from"], "--to", ends["--to"])
    assert_one_line_failure(result, "copy: ", *fragments)
    assert "secret" not in result.stderr


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres:secret@127.0.0.1:1/x", "mysql://root@127.0.0.1:1/x"],
    ids=["postgresql", "mariadb"],
)
def test_an_unreachable_server_is_one_clear_line(source: str, url: str) -> None:
    as_target = copy("--from", source, "--to", url)
    assert_one_line_failure(as_target, "copy: cannot open the target (", "127.0.0.1:1")
    as_source = copy("--from", url, "--to", source)
    assert_one_line_failure(as_source, "copy: cannot open the source (", "127.0.0.1:1")
    assert "secret" not in as_target.stderr + as_source.stderr


def test_an_unreachable_mongo_is_one_clear_line(source: str) -> None:
    result = copy("--from", source, "--to", "mongodb://127.0.0.1:1/x")
    assert_one_line_failure(result, "copy: cannot open the target", "Cannot reach MongoDB")


def test_a_source_at_an_older_schema_is_refused(tmp_path: Path, target: str) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    with opened(empty):
        pass
    result = copy("--from", empty, "--to", target)
    assert_one_line_failure(result, "copy: the source", "is not at this code's schema", "migrate")
