"""The background task that keeps each replica's health, position and lag current.

Every ``PROBE_SECONDS`` (per worker process) it asks the primary where it
stands, then each replica what it has replayed, each on a connection of its
own with ``PROBE_TIMEOUT`` bounds, and writes the answers into the router's
``ReadTarget`` attributes. Requests only read those attributes.

**Lag** is measured against the primary's own history, not clocks: the
primary's positions are kept with the times they were seen, and a replica
that has replayed position P had everything the primary had when it last
stood at P. Its lag is the time since then, an upper bound (the primary was
at P *at least* until that sample), accurate to one probe interval, and zero
for an idle primary (unlike ``now() - pg_last_xact_replay_timestamp()``,
which grows while nothing is written). ``readable_until`` is that moment
plus ``DATABASE_READ_MAX_LAG``: a replica that stops replaying (or a monitor
that stops sampling) falls out of use on time, whatever the request rate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.consistency import Position
from storage.sql.positions import PositionQueries
from storage.sql.read_pools import ReadPool
from storage.sql.replicas import ReadRouter, ReadTarget

logger = logging.getLogger("storage")

PROBE_SECONDS = 0.5
"""How often each process samples the primary and its replicas."""
PROBE_TIMEOUT = 1.0
"""How long one probe may take before its server counts as down."""
SETTLE_SHARE = 0.25
"""At most one ``PositionQueries.settle`` per this share of the lag bound (and per probe)."""
HISTORY_LIMIT = 10_000
"""Primary positions kept: at one a sample, far more than any lag bound spans."""


@dataclass
class _Seen:
    position: Position
    last: float
    """The latest sample (its start) that found the primary at ``position``."""


class PrimaryHistory:
    """The primary's sampled positions, oldest first, each with when it was last seen."""

    def __init__(self, limit: int = HISTORY_LIMIT) -> None:
        self._seen: deque[_Seen] = deque(maxlen=limit)

    def add(self, position: Position, at: float) -> None:
        """The primary stood at ``position`` at time ``at`` (or later)."""
        if self._seen and self._seen[-1].position == position:
            self._seen[-1].last = at
        else:
            self._seen.append(_Seen(position, at))

    def newest(self) -> Position | None:
        """The primary's latest sampled position."""
        return self._seen[-1].position if self._seen else None

    def caught_up_at(self, replayed: Position) -> float | None:
        """The latest time a copy at ``replayed`` had all the primary had; None if unknown."""
        for seen in reversed(self._seen):
            if replayed.reached(seen.position):
                return seen.last
        return None

    def forget_reached(self, positions: list[Position]) -> None:
        """Drop what every one of ``positions`` has gone past (the newest such entry stays)."""
        while len(self._seen) > 1 and all(p.reached(self._seen[1].position) for p in positions):
            self._seen.popleft()


class ReplicaMonitor:
    """Samples the primary and the replicas into ``router``'s targets."""

    def __init__(
        self,
        router: ReadRouter[ReadPool],
        queries: PositionQueries,
        primary: AsyncEngine,
        replicas: list[AsyncEngine],
        max_lag: float,
        interval: float = PROBE_SECONDS,
    ) -> None:
        self.router = router
        self.queries = queries
        self.max_lag = max_lag
        self.interval = interval
        self._primary = primary
        self._replicas = replicas
        self.history = PrimaryHistory()
        self._primary_down = False
        self._settled = -float("inf")
        self._settle_every = max(interval, max_lag * SETTLE_SHARE)

    async def run(self) -> None:
        """Sample forever (until cancelled by the storage's ``close``)."""
        while True:
            await asyncio.sleep(self.interval)
            await self.sample()

    async def sample(self) -> None:
        """One round: the primary first, then every replica at once. Never raises."""
        started = time.monotonic()
        try:
            self.history.add(await _probe(self._primary, self.queries.primary), started)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            if not self._primary_down:
                logger.warning("replica monitor: the primary did not answer: %s", _line(exc))
            self._primary_down = True
        else:
            self._primary_down = False
        targets = self.router.replicas
        answers = await asyncio.gather(
            *(_probe(engine, self.queries.replica) for engine in self._replicas),
            return_exceptions=True,
        )
        replayed = []
        for target, answer in zip(targets, answers, strict=True):
            if isinstance(answer, Position):
                self._update(target, answer, time.monotonic())
                replayed.append(answer)
            elif isinstance(answer, (SQLAlchemyError, OSError, TimeoutError)):
                self._down(target, answer)
            else:
                raise answer  # a bug, not an outage
        self.history.forget_reached(replayed)
        await self._settle(replayed)

    async def _settle(self, replayed: list[Position]) -> None:
        newest = self.history.newest()
        if newest is None or all(position.reached(newest) for position in replayed):
            return
        now = time.monotonic()
        if now - self._settled < self._settle_every:
            return
        self._settled = now
        try:
            settled = await _probe(self._primary, self.queries.settle)
        except (SQLAlchemyError, OSError, TimeoutError):
            return  # a read-only or busy primary: the next commit flushes as well
        if settled is not None:
            self.history.add(settled, now)

    def _update(self, target: ReadTarget[ReadPool], replayed: Position, now: float) -> None:
        was_readable = target.up and now < target.readable_until
        if not target.up and target.position is not None:  # not the first sample
            logger.info("replica %s answers again", target.name)
        target.up = True
        target.position = replayed
        caught_up = self.history.caught_up_at(replayed)
        if caught_up is None:  # behind everything sampled since it was last caught up
            target.caught_up_at = None
            target.readable_until = 0.0
        else:
            target.caught_up_at = caught_up
            target.readable_until = caught_up + self.max_lag
        readable = now < target.readable_until
        if was_readable and not readable:
            logger.warning(
                "replica %s is more than %s s behind the primary: reads go elsewhere",
                target.name,
                self.max_lag,
            )

    def _down(self, target: ReadTarget[ReadPool], exc: BaseException) -> None:
        if target.up:
            logger.warning("replica %s did not answer: %s", target.name, _line(exc))
        target.up = False
        target.caught_up_at = None
        target.readable_until = 0.0


async def _probe[P](engine: AsyncEngine, query: Callable[[AsyncConnection], Awaitable[P]]) -> P:
    async with asyncio.timeout(PROBE_TIMEOUT), engine.connect() as conn:
        return await query(conn)


def _line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__
