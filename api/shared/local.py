"""The shared state kept in this process: alone without ``REDIS_URL``, the fallback with it.

Both maps are bounded: entries leave when they expire (checked as new ones
arrive) and, past ``capacity``, the oldest go first.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from storage.consistency import Position

CAPACITY = 100_000


class LocalRevocations:
    """Token ids logged out here, until their tokens would have expired."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.ids: OrderedDict[str, float] = OrderedDict()
        """Token id -> when it expires; ``api.auth.tokens.Tokens`` refuses these ids."""

    def revoke(self, token_id: str, expires_at: float) -> None:
        """Deny ``token_id`` until ``expires_at`` (Unix time)."""
        self._forget_expired()
        self.ids[token_id] = expires_at
        while len(self.ids) > self.capacity:
            self.ids.popitem(last=False)

    def revoked(self, token_id: str) -> bool:
        """Whether ``token_id`` was logged out here (and has not expired since)."""
        return token_id in self.ids  # an expired token is refused by its signature anyway

    def _forget_expired(self) -> None:
        now = time.time()
        while self.ids:
            token_id, until = next(iter(self.ids.items()))
            if until > now:
                break
            del self.ids[token_id]


class LocalPositions:
    """Callers' newest commit positions, each kept for the store's lag bound."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[str, tuple[Position, float]] = OrderedDict()

    def remember(self, caller: str, position: Position, ttl: float) -> None:
        """Raise ``caller``'s position to ``position`` for ``ttl`` seconds."""
        now = time.monotonic()
        known = self.position(caller)
        self._kept[caller] = (position.merged(known), now + ttl)
        self._kept.move_to_end(caller)
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)

    def position(self, caller: str) -> Position | None:
        """``caller``'s position, None if none or expired."""
        kept = self._kept.get(caller)
        if kept is None:
            return None
        position, until = kept
        if until <= time.monotonic():
            del self._kept[caller]
            return None
        return position
