"""What several API instances (and the workers of one) share: ``REDIS_URL``.

::

    redis_store.py  the Redis commands and scripts (redis-py's asyncio client)
    local.py        the same state in this process: without REDIS_URL, and as the fallback
    state.py        ``SharedState``: Redis when it answers, this process otherwise

Three things are shared: failed logins (``api.auth.throttle``), logged-out
tokens (a deny-list of token ids until they would have expired) and, when
reads may come from replicas, each signed-in caller's newest commit position
(``storage.consistency``). Without ``REDIS_URL`` each process keeps its own.

When Redis does not answer, every feature keeps working on this process's
own state ("fail open" to the single-instance behaviour) rather than
refusing requests:

* login throttling counts this process's failures (they are always counted
  here too), so a guesser meets one instance's limit instead of none;
* a token logged out on another instance is accepted here until Redis is
  back or the token expires (tokens live ``ACCESS_TOKEN_MINUTES``); a
  log-out here is kept here and written to Redis once it answers again;
* read-your-writes cannot know a caller's position, so signed-in callers
  read from the primary until Redis has answered again for as long as the
  replicas' lag bound (a position lost meanwhile would be visible on every
  readable replica by then).

Refusing logins or writes while Redis is away would turn a cache outage into
a service outage; the cost of failing open is bounded by the token lifetime
and the per-process throttle.
"""
