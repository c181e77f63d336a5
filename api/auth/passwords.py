"""Password hashing with Argon2id through pwdlib, off the event loop.

Hashing is deliberately slow (tens of milliseconds and ~19 MiB by default),
so it runs in a worker thread, at most ``HASHING_THREADS`` at a time: a flood
of logins queues for them instead of taking every core and ~19 MiB per
attempt (the login throttle then turns repeated failures away). An unknown
account is checked against a dummy hash, so a wrong password and an unknown
user cost the same time. A stored
hash of ``!`` (accounts that predate passwords) matches nothing.
"""

from __future__ import annotations

import os
import secrets

from anyio import CapacityLimiter, to_thread
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

HASHING_THREADS = max(2, os.cpu_count() or 1)
"""Hashes computed at once per process: more would only share the same cores."""

UNUSABLE = "!"
"""The stored hash of an account that cannot log in until an admin sets a password."""


class Passwords:
    """Hashes and checks passwords with one Argon2id configuration."""

    def __init__(self, memory_kib: int, time_cost: int) -> None:
        hasher = Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)
        self._hash = PasswordHash((hasher,))
        self._dummy = self._hash.hash(secrets.token_urlsafe(16))
        self._limiter: CapacityLimiter | None = None  # made in the event loop that uses it

    def _threads(self) -> CapacityLimiter:
        if self._limiter is None:
            self._limiter = CapacityLimiter(HASHING_THREADS)
        return self._limiter

    async def hash(self, password: str) -> str:
        """The Argon2id hash of ``password`` (with a fresh salt), off the event loop."""
        return await to_thread.run_sync(self.hash_blocking, password, limiter=self._threads())

    def hash_blocking(self, password: str) -> str:
        """``hash`` for code outside an event loop (tools, seed data)."""
        return self._hash.hash(password)

    async def verify(self, password: str, stored: str | None) -> bool:
        """Whether ``password`` matches ``stored``; None (no account) costs the same and fails."""
        return await to_thread.run_sync(self._verify, password, stored, limiter=self._threads())

    def _verify(self, password: str, stored: str | None) -> bool:
        if stored is None or stored == UNUSABLE:
            self._hash.verify(password, self._dummy)  # same work, no answer
            return False
        try:
            return self._hash.verify(password, stored)
        except UnknownHashError:
            self._hash.verify(password, self._dummy)
            return False
