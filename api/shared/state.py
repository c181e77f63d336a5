"""``SharedState``: Redis when ``REDIS_URL`` is set and Redis answers, this process otherwise.

Every Redis call goes through ``attempt``: a call that fails (refused, timed
out, any Redis error) is logged once per outage, opens a short breaker so
that the next requests do not each pay for a refused connection, and
answers ``UNANSWERED``; the feature then uses this process's state (see the
package docstring for what each feature does).
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from redis.exceptions import RedisError

from api.shared.local import LocalPositions, LocalRevocations
from api.shared.redis_store import RedisStore
from storage import consistency
from storage.consistency import UNKNOWN, Consistency, Position

logger = logging.getLogger("api")

T = TypeVar("T")
BREAK_SECONDS = 1.0
"""After a failed Redis call, how long calls go straight to the fallback."""


class Unanswered(enum.Enum):
    """Redis did not answer (or is not configured)."""

    UNANSWERED = "unanswered"


UNANSWERED = Unanswered.UNANSWERED


def caller_key(user_id: int) -> str:
    """Whose position a signed-in request reads and raises: the account's."""
    return f"user:{user_id}"


class SharedState:
    """Revoked tokens and callers' positions, shared through Redis if configured.

    ``track_for`` is set by the app's lifespan when the store's reads may lag
    (``Storage.read_lag_bound``): only then are callers' positions looked up
    and kept, for that many seconds plus a margin.
    """

    def __init__(self, url: str | None) -> None:
        self.remote = RedisStore(url) if url else None
        self.revocations = LocalRevocations()
        self.positions = LocalPositions()
        self.track_for: float | None = None
        self._down_until = 0.0
        self._failed_at = -float("inf")
        self._down = False
        self._pending: dict[str, float] = {}  # logged out while Redis was away

    @property
    def round_trips(self) -> bool:
        """Whether admitting a token may need I/O (Redis, or a position to look up)."""
        return self.remote is not None or self.track_for is not None

    @property
    def status(self) -> str:
        """``off`` (no REDIS_URL), ``ok``, or ``unavailable`` (as of the last call)."""
        if self.remote is None:
            return "off"
        return "unavailable" if self._down else "ok"

    async def attempt(self, call: Callable[[RedisStore], Awaitable[T]]) -> T | Unanswered:
        """``call(redis)``, or ``UNANSWERED`` if Redis is not configured or did not answer."""
        remote = self.remote
        if remote is None or time.monotonic() < self._down_until:
            return UNANSWERED
        try:
            result = await call(remote)
        except (RedisError, OSError) as exc:
            now = time.monotonic()
            self._down_until = now + BREAK_SECONDS
            self._failed_at = now
            if not self._down:
                self._down = True
                logger.warning(
                    "shared state unavailable (Redis: %s); this process's own state serves",
                    exc or type(exc).__name__,
                )
            return UNANSWERED
        if self._down:
            self._down = False
            logger.info("shared state available again (Redis)")
        if self._pending:
            await self._flush_pending(remote)
        return result

    async def check(self) -> str:
        """Ping Redis (if configured) and return ``status``."""
        if self.remote is not None:
            self._down_until = 0.0  # a health check always tries
            await self.attempt(lambda redis: redis.ping())
        return self.status

    async def admit(self, token_id: str, user_id: int) -> bool:
        """Whether ``token_id`` is not logged out; if reads may lag, track the caller's reads.

        One Redis round trip answers both: the deny-list, and the caller's
        position, which becomes the request's ``storage.consistency`` context.
        """
        if self.revocations.revoked(token_id):
            return False
        caller = caller_key(user_id) if self.track_for is not None else None
        answer = await self.attempt(lambda redis: redis.lookup(token_id, caller))
        position: Position | None
        if answer is UNANSWERED:
            revoked = False  # fail open: see the package docstring
            position = UNKNOWN if self.remote is not None else None
            if caller is not None and self.remote is None:
                position = self.positions.position(caller)
        else:
            revoked, position = answer
            if self._recently_failed():
                position = UNKNOWN
        if revoked:
            return False
        if caller is not None:
            consistency.track(Consistency(position, partial(self.remember, caller)))
        return True

    def begin(self) -> Consistency | None:
        """Collect the positions of a request that learns its caller late (a log-in, a sign-up).

        None when reads cannot lag. ``adopt`` then keeps what it saw for the account.
        """
        if self.track_for is None:
            return None
        context = Consistency()
        consistency.track(context)
        return context

    async def adopt(self, context: Consistency | None, user_id: int) -> None:
        """Keep what ``context`` saw (the primary at a log-in, a sign-up's commit) for ``user_id``.

        So the account's first reads, on any instance, see it exist: a
        replica that has not replayed the sign-up yet is not read for it.
        """
        if context is not None and context.required is not None:
            await self.remember(caller_key(user_id), context.required)

    async def remember(self, caller: str, position: Position) -> None:
        """Keep ``position`` as ``caller``'s newest (Redis, or this process without it)."""
        ttl = self.track_for
        if ttl is None:
            return
        if self.remote is None:
            self.positions.remember(caller, position, ttl)
            return
        # Unanswered: the caller's reads go to the primary until Redis has
        # answered for ``ttl`` (``_recently_failed``), so nothing is lost.
        await self.attempt(lambda redis: redis.remember(caller, position, ttl))

    async def revoke(self, token_id: str, expires_at: float) -> None:
        """Log ``token_id`` out here, and on every instance once Redis has it."""
        self.revocations.revoke(token_id, expires_at)
        if self.remote is None:
            return
        answer = await self.attempt(lambda redis: redis.revoke(token_id, expires_at))
        if answer is UNANSWERED:
            self._pending[token_id] = expires_at

    async def close(self) -> None:
        """Close the Redis client."""
        if self.remote is not None:
            await self.remote.close()

    def _recently_failed(self) -> bool:
        # A position recorded while Redis was away may be missing: until every
        # readable copy must have it anyway (the lag bound), read the primary.
        return self.track_for is not None and time.monotonic() - self._failed_at < self.track_for

    async def _flush_pending(self, remote: RedisStore) -> None:
        pending, self._pending = self._pending, {}
        now = time.time()
        live = {token_id: until for token_id, until in pending.items() if until > now}
        if not live:
            return
        try:
            await remote.revoke_many(live)
        except (RedisError, OSError):
            self._pending.update(live)  # next time
