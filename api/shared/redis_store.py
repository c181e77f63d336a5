"""The shared state in Redis: one round trip per question, bounded waits, no retries.

Keys (all under ``PREFIX``; pick a database number in ``REDIS_URL`` to keep
deployments apart on one server):

=============================  ===========  ===============================================
``throttle:<sha256 of key>``   sorted set   failed logins, scored by time; expires with the
                                            window; at most ``THROTTLE_KEEP`` members
``revoked:<token id>``         string       a logged-out token; expires when the token would
``position:<caller>``          hash         a caller's newest commit position (counters as
                                            fixed-width text, ``~token`` the engine's data);
                                            expires after the store's lag bound
=============================  ===========  ===============================================

Every call raises redis-py's errors (or ``OSError``/``TimeoutError``) when Redis
does not answer in ``TIMEOUT`` seconds; ``api.shared.state`` decides what then.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from storage.consistency import Position

PREFIX = "dualstore:"
TIMEOUT = 0.5
"""Seconds to connect to Redis or to wait for one answer: it answers in well under 1 ms."""
THROTTLE_KEEP = 100
"""Failures kept per throttle key: more than any limit needs, bounded under attack."""
TOKEN_FIELD = "~token"

# Seconds a key still has to wait: its failures within the window reach its limit.
# KEYS: throttle keys; ARGV: now, window, then one limit per key.
_WAIT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
return tostring(wait)
"""
# Whether a token id is denied, and a caller's position: one command.
# KEYS: the revoked key, the position hash.
_LOOKUP = """
return {redis.call('EXISTS', KEYS[1]), redis.call('HGETALL', KEYS[2])}
"""
# Raise a caller's position counter by counter (never lower it: two instances
# may record one caller's writes out of order). Counters are fixed-width text,
# so comparing strings compares numbers without Lua's 53-bit floats.
# KEYS: the hash; ARGV: ttl ms, token ('' for none), then field, value pairs.
_RAISE = """
local raised = false
for i = 3, #ARGV, 2 do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  if not old or old < ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    raised = true
  end
end
if raised and ARGV[2] ~= '' then redis.call('HSET', KEYS[1], '~token', ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return raised and 1 or 0
"""


class RedisStore:
    """The commands the service sends to Redis."""

    def __init__(self, url: str) -> None:
        self.client: Redis = Redis.from_url(
            url,
            socket_timeout=TIMEOUT,
            socket_connect_timeout=TIMEOUT,
            # A down Redis must cost one refused connection, not a retry loop:
            # the caller falls back to this process's state at once.
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        self._wait = self.client.register_script(_WAIT)
        self._lookup = self.client.register_script(_LOOKUP)
        self._raise = self.client.register_script(_RAISE)

    async def ping(self) -> None:
        """One round trip."""
        await self.client.ping()

    async def throttle_wait(self, checks: Sequence[tuple[str, int]], window: float) -> float:
        """Seconds until every ``(key, limit)`` may try again (0: now)."""
        keys = [_throttle_key(key) for key, _ in checks]
        limits = [limit for _, limit in checks]
        answer = await self._wait(keys=keys, args=[time.time(), window, *limits])
        return float(answer)

    async def throttle_failed(self, keys: Sequence[str], window: float) -> None:
        """Count one failure for each of ``keys`` now."""
        now = time.time()
        async with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                name = _throttle_key(key)
                pipe.zadd(name, {f"{now:.6f}:{secrets.token_hex(4)}": now})
                pipe.zremrangebyrank(name, 0, -(THROTTLE_KEEP + 1))
                pipe.pexpire(name, round(window * 1000))
            await pipe.execute()

    async def throttle_clear(self, key: str) -> None:
        """Forget ``key``'s failures."""
        await self.client.delete(_throttle_key(key))

    async def revoke(self, token_id: str, expires_at: float) -> None:
        """Deny ``token_id`` until ``expires_at`` (Unix time), when the token expires anyway."""
        await self.client.set(f"{PREFIX}revoked:{token_id}", b"1", exat=max(1, int(expires_at)))

    async def revoke_many(self, revoked: dict[str, float]) -> None:
        """``revoke`` for each of ``revoked`` (token id -> expiry), in one round trip."""
        async with self.client.pipeline(transaction=False) as pipe:
            for token_id, expires_at in revoked.items():
                pipe.set(f"{PREFIX}revoked:{token_id}", b"1", exat=max(1, int(expires_at)))
            await pipe.execute()

    async def lookup(self, token_id: str, caller: str | None) -> tuple[bool, Position | None]:
        """Whether ``token_id`` is revoked, and ``caller``'s position (if asked): one round trip."""
        if caller is None:
            return bool(await self.client.exists(f"{PREFIX}revoked:{token_id}")), None
        revoked, flat = await self._lookup(
            keys=[f"{PREFIX}revoked:{token_id}", _position_key(caller)]
        )
        fields = dict(zip(flat[::2], flat[1::2], strict=True))
        return bool(revoked), _position(fields)

    async def position(self, caller: str) -> Position | None:
        """``caller``'s newest position, None if none within its time to live."""
        fields = await self.client.hgetall(_position_key(caller))
        return _position(fields)

    async def remember(self, caller: str, position: Position, ttl: float) -> None:
        """Raise ``caller``'s position to ``position`` (never lower), for ``ttl`` seconds."""
        pairs = [part for item in position.fields().items() for part in item]
        args: list[bytes | str | int] = [round(ttl * 1000), position.token or b"", *pairs]
        await self._raise(keys=[_position_key(caller)], args=args)

    async def close(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()


def _throttle_key(key: str) -> str:
    # Keys carry what a client typed (a login): hashed, they have one size.
    return f"{PREFIX}throttle:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def _position_key(caller: str) -> str:
    return f"{PREFIX}position:{caller}"


def _position(fields: dict[Any, Any]) -> Position | None:
    if not fields:
        return None
    token = fields.pop(TOKEN_FIELD.encode(), None)
    return Position.from_fields({k.decode(): v.decode() for k, v in fields.items()}, token)
