"""The parts of read routing that need no server: positions, the router, the lag history.

The same parts on real primaries and replicas: ``tests/scaleout/``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from pydantic import ValidationError

from api.settings import Settings, describe_error
from storage.consistency import UNKNOWN, Consistency, Position
from storage.errors import NotFound, Unavailable
from storage.sql.positions import mariadb_gtids, pg_lsn
from storage.sql.prepared import Query
from storage.sql.replica_monitor import PrimaryHistory
from storage.sql.replicas import ReadRouter, ReadTarget
from storage.sql.routed_reads import RoutedReads
from storage.timeouts import Timeouts

pytestmark = pytest.mark.anyio


def test_engine_positions_become_comparable_counters() -> None:
    assert pg_lsn("16/B374D848").marks == {"lsn": (0x16 << 32) | 0xB374D848}
    assert pg_lsn("0/3000130").reached(pg_lsn("0/30000D8"))
    assert not pg_lsn("0/30000D8").reached(pg_lsn("0/3000130"))
    gtids = mariadb_gtids("0-1-100,1-2-5")
    assert gtids.marks == {"d0": 100, "d1": 5}
    assert gtids.reached(mariadb_gtids("0-3-100"))  # another server, same domain: the number counts
    assert not gtids.reached(mariadb_gtids("0-1-101"))
    assert not gtids.reached(mariadb_gtids("2-1-1"))  # a domain it has never seen
    assert mariadb_gtids("").reached(Position({}))
    assert not Position({"lsn": 2**62}).reached(UNKNOWN)


def test_positions_merge_counter_by_counter_and_survive_text() -> None:
    mine = Position({"d0": 7, "d1": 3}, token=b"old")
    merged = mine.merged(Position({"d0": 5, "d1": 9, "d2": 1}, token=b"new"))
    assert merged.marks == {"d0": 7, "d1": 9, "d2": 1} and merged.token == b"new"
    assert mine.merged(Position({"d0": 1}, token=b"older")).token == b"old"
    # Fixed-width text: shared state compares strings and gets numeric order.
    fields = Position({"t": 2**63 + 5}).fields()
    assert Position.from_fields(fields) == Position({"t": 2**63 + 5})
    assert Position({"t": 9}).fields()["t"] < Position({"t": 10}).fields()["t"]


async def test_a_write_raises_what_the_rest_of_the_request_requires() -> None:
    kept: list[Position] = []

    async def record(position: Position) -> None:
        kept.append(position)

    context = Consistency(Position({"lsn": 10}), record)
    await context.wrote(Position({"lsn": 7}))
    assert context.required == Position({"lsn": 10}) and kept == [Position({"lsn": 7})]
    await context.wrote(Position({"lsn": 20}))
    assert context.required == Position({"lsn": 20})


def _router(*replicas: ReadTarget[str]) -> ReadRouter[str]:
    primary = ReadTarget("primary", "primary", is_primary=True, up=True)
    fresh = ReadTarget("fresh", "fresh", is_primary=True, up=True)
    return ReadRouter(primary, list(replicas), fresh)


def _replica(name: str, lsn: int, *, up: bool = True, for_seconds: float = 60) -> ReadTarget[str]:
    until = time.monotonic() + for_seconds
    return ReadTarget(name, name, up=up, position=Position({"lsn": lsn}), readable_until=until)


def test_the_router_reads_replicas_in_turn_within_the_bound_and_far_enough() -> None:
    one, two = _replica("one", 100), _replica("two", 50)
    router = _router(one, two)
    assert {router.choose(None).name for _ in range(4)} == {"one", "two"}
    # A caller whose write is at 80: only the replica past it, else the primary that has it.
    assert {router.choose(Position({"lsn": 80})).name for _ in range(4)} == {"one"}
    assert router.choose(Position({"lsn": 120})).name == "fresh"
    # Past its bound (readable_until), or down, a replica is not read.
    one.readable_until = time.monotonic() - 1
    assert {router.choose(None).name for _ in range(4)} == {"two"}
    router.failed(two)
    assert not two.up and router.choose(None).name == "primary"
    router.failed(router.primary)  # the primary is never taken out
    assert router.primary.up


def test_without_replicas_every_read_goes_to_the_primary() -> None:
    router = _router()
    assert router.choose(None).name == "primary"
    assert router.choose(Position({"lsn": 1})).name == "fresh"


def test_lag_is_counted_from_when_the_primary_last_stood_where_the_replica_is() -> None:
    history = PrimaryHistory()
    history.add(Position({"lsn": 10}), at=100.0)
    history.add(Position({"lsn": 10}), at=100.5)  # idle: still there
    history.add(Position({"lsn": 20}), at=101.0)
    history.add(Position({"lsn": 30}), at=101.5)
    assert history.caught_up_at(Position({"lsn": 30})) == 101.5
    assert history.caught_up_at(Position({"lsn": 25})) == 101.0
    assert history.caught_up_at(Position({"lsn": 10})) == 100.5  # not 100.0: it stayed
    assert history.caught_up_at(Position({"lsn": 5})) is None  # behind all it has seen
    history.forget_reached([Position({"lsn": 25}), Position({"lsn": 30})])
    assert history.caught_up_at(Position({"lsn": 25})) == 101.0
    assert history.caught_up_at(Position({"lsn": 10})) is None  # forgotten: nobody is there


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        ("postgresql://app:s3cret@replica/app, ftp://x", "entry 2 is not a postgresql://"),
        ("sqlite:///copy.db", "entry 1: SQLite has no replicas"),
        ("mysql://app:s3cret@replica/app", "is not a postgresql server, as DATABASE_URL is"),
    ],
)
def test_replica_urls_are_checked_with_one_line_and_no_password(urls: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(  # type: ignore[call-arg]
            _env_file=None, database_url="postgresql://app:s3cret@db/app", database_read_urls=urls
        )
    line = describe_error(caught.value)
    assert message in line and "s3cret" not in line and "\n" not in line


def test_replica_urls_are_a_comma_separated_list() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url="postgresql://db/app",
        database_read_urls=" postgresql://r1/app ,postgresql://r2/app,",
        redis_url="",
    )
    assert settings.read_urls() == ["postgresql://r1/app", "postgresql://r2/app"]
    assert settings.redis_url is None
    assert Settings(_env_file=None).read_urls() == []  # type: ignore[call-arg]


def test_redis_url_must_name_redis() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, redis_url="http://:pw@cache:6379")  # type: ignore[call-arg]
    line = describe_error(caught.value)
    assert "REDIS_URL" in line and "redis://" in line and ":pw@" not in line


class _Pool:
    """A read pool that answers each query with its number, failing on the ``fail_at``-th."""

    def __init__(self, name: str, fail_at: int | None = None) -> None:
        self.name, self.fail_at, self.asked = name, fail_at, 0

    async def run(self, read: Any, *, by_key: bool = False) -> Any:
        try:
            query = next(read)
            while True:
                self.asked += 1
                if self.asked == self.fail_at:
                    raise Unavailable(f"{self.name} went away")
                query = read.send([{"from": self.name, "key": query.key}])
        except StopIteration as done:
            return done.value

    def usage(self) -> None:
        return None

    async def close(self) -> None:
        return None


def _two_queries() -> Any:
    first = yield Query("one", lambda _: None, {})  # type: ignore[arg-type,return-value]
    second = yield Query("two", lambda _: None, {})  # type: ignore[arg-type,return-value]
    return [first[0], second[0]]


def _not_found() -> Any:
    yield Query("one", lambda _: None, {})  # type: ignore[arg-type,return-value]
    raise NotFound("User not found")


def _routed(replica: _Pool) -> tuple[RoutedReads, ReadTarget[Any]]:
    target = ReadTarget("replica", replica, up=True, position=Position({"lsn": 1}))
    target.readable_until = time.monotonic() + 60
    primary = ReadTarget("primary", _Pool("primary"), is_primary=True, up=True)
    return RoutedReads(ReadRouter(primary, [target]), Timeouts()), target  # type: ignore[arg-type]


async def test_a_read_a_replica_fails_goes_on_on_the_primary_where_it_stopped() -> None:
    reads, target = _routed(_Pool("replica", fail_at=2))
    answer = await reads.run(_two_queries())
    # The first statement's answer stands; the second, which the replica failed, the primary's.
    assert answer == [{"from": "replica", "key": "one"}, {"from": "primary", "key": "two"}]
    assert not target.up  # left out until the monitor reaches it again
    assert (await reads.run(_two_queries()))[0]["from"] == "primary"


async def test_a_replica_that_fails_at_once_hands_the_whole_read_to_the_primary() -> None:
    reads, _ = _routed(_Pool("replica", fail_at=1))
    answer = await reads.run(_two_queries())
    assert [row["from"] for row in answer] == ["primary", "primary"]


async def test_the_reads_own_answer_is_not_tried_again() -> None:
    replica = _Pool("replica")
    reads, target = _routed(replica)
    with pytest.raises(NotFound):
        await reads.run(_not_found())
    assert target.up and replica.asked == 1
