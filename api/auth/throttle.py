"""Failed logins counted per account and per client address; too many is a 429.

With ``REDIS_URL`` the counts are shared by every worker and instance (a
sorted set of failure times per key in Redis, ``api.shared.redis_store``), so
``max_failures`` is the limit of the whole deployment. Failures are always
counted in this process too: without Redis, or while it does not answer,
this process's counts decide (the limit is then per worker, as it was before
Redis). Memory here is bounded: at most ``capacity`` keys, the least recently
failed forgotten first.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Sequence

from api.shared.state import UNANSWERED, SharedState


class LoginThrottle:
    """Sliding-window failure counts, shared through ``shared`` when it has Redis."""

    def __init__(
        self,
        max_failures: int,
        window_seconds: float,
        capacity: int = 10_000,
        shared: SharedState | None = None,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.capacity = capacity
        self.shared = shared
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    async def retry_after(self, checks: Sequence[tuple[str, float]]) -> int:
        """Seconds until every key may try again (0: now); ``checks`` are (key, limit factor).

        A key's limit is ``max_failures`` times its factor (a client address
        may fail more often than an account: several people can share it).
        """
        limits = [(key, math.ceil(self.max_failures * factor)) for key, factor in checks]
        if self.shared is not None:
            window = self.window
            shared = await self.shared.attempt(lambda redis: redis.throttle_wait(limits, window))
            if shared is not UNANSWERED:
                return _whole_seconds(shared)
        return max(_whole_seconds(self._local_wait(key, limit)) for key, limit in limits)

    async def failed(self, keys: Sequence[str]) -> None:
        """Count a failed attempt for each of ``keys``."""
        for key in keys:
            recent = self._recent(key)
            recent.append(time.monotonic())
            self._failures[key] = recent
            self._failures.move_to_end(key)
        while len(self._failures) > self.capacity:
            self._failures.popitem(last=False)
        if self.shared is not None:
            window = self.window
            await self.shared.attempt(lambda redis: redis.throttle_failed(keys, window))

    async def succeeded(self, key: str) -> None:
        """Forget ``key``'s failures (a correct password for the account)."""
        self._failures.pop(key, None)
        if self.shared is not None:
            await self.shared.attempt(lambda redis: redis.throttle_clear(key))

    def _local_wait(self, key: str, limit: int) -> float:
        recent = self._recent(key)
        if len(recent) < limit:
            return 0.0
        return recent[0] + self.window - time.monotonic()

    def _recent(self, key: str) -> list[float]:
        cutoff = time.monotonic() - self.window
        return [at for at in self._failures.get(key, []) if at > cutoff]


def _whole_seconds(wait: float) -> int:
    """What ``Retry-After`` says: 0 for no wait, else at least one second."""
    return 0 if wait <= 0 else max(1, math.ceil(wait))
