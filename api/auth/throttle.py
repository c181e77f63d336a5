"""Failed logins counted per account and per client address; too many is a 429.

The counts live in this process (with several workers each counts alone, so
the effective limit is per worker; a shared store such as Redis would make it
global). Memory is bounded: at most ``capacity`` keys, the least recently
failed forgotten first.
"""

from __future__ import annotations

import time
from collections import OrderedDict


class LoginThrottle:
    """Sliding-window failure counts with a fixed number of tracked keys."""

    def __init__(self, max_failures: int, window_seconds: float, capacity: int = 10_000) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.capacity = capacity
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def retry_after(self, key: str, limit: int | None = None) -> int:
        """Seconds until ``key`` may try again (0: it may try now)."""
        recent = self._recent(key)
        if len(recent) < (limit or self.max_failures):
            return 0
        return max(1, int(recent[0] + self.window - time.monotonic()) + 1)

    def failed(self, key: str) -> None:
        """Count a failed attempt for ``key``."""
        recent = self._recent(key)
        recent.append(time.monotonic())
        self._failures[key] = recent
        self._failures.move_to_end(key)
        while len(self._failures) > self.capacity:
            self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        """Forget ``key``'s failures (a correct password for the account)."""
        self._failures.pop(key, None)

    def _recent(self, key: str) -> list[float]:
        cutoff = time.monotonic() - self.window
        return [at for at in self._failures.get(key, []) if at > cutoff]
