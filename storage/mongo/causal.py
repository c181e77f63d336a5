"""Read preferences, causal consistency and write concern for MongoDB replica sets.

``readPreference`` in ``MONGO_URL`` (``secondaryPreferred``, ``nearest``, ...)
is the client's default for reads, as PyMongo reads it from the URL; writes and
transactions always go to the primary. When reads may go to secondaries:

* every write command's reply carries the server's ``operationTime`` (and the
  signed ``$clusterTime``): ``WriteTimes`` notes it for the request's
  ``storage.consistency`` context, which keeps it for the signed-in caller (in
  Redis, across instances), the way SQL stores keep a WAL position;
* a caller with a position reads through a causally consistent session
  advanced to it (``causal_session``): a secondary answers only once it has
  applied that operation time (``readConcern.afterClusterTime``), so the
  caller reads its own writes on any secondary and any instance;
* snapshot reads (a page with its total and embedded documents) cannot be
  causal as well (the drivers refuse both at once), so for such a caller they
  run as a read-only snapshot transaction on the primary.

Writes are acknowledged by a majority (``w: majority``) unless ``MONGO_URL``
says otherwise (``w=1``): a write a client was told of survives a failover,
and a secondary that has it can be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import bson
from bson import Timestamp
from pymongo import monitoring
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.read_preferences import ReadPreference, _ServerMode

from storage import consistency
from storage.consistency import Position

TRACK_SECONDS = 90.0
"""How long a caller's position is kept without ``maxStalenessSeconds`` in the URL
(90 s is the smallest staleness MongoDB accepts for a secondary to be read)."""

# Commands whose success means data changed (the transaction's commit included).
WRITES = frozenset(
    {"insert", "update", "delete", "findAndModify", "commitTransaction", "bulkWrite"}
)


def reads_may_lag(read_preference: _ServerMode) -> float | None:
    """How long a read may lag under ``read_preference``: None if reads go to the primary."""
    if read_preference.mode == ReadPreference.PRIMARY.mode:
        return None
    staleness = read_preference.max_staleness
    return float(staleness) if staleness and staleness > 0 else TRACK_SECONDS


def position_of(reply: Mapping[str, Any]) -> Position | None:
    """The position a server reply says it reached: its ``operationTime`` (None if absent)."""
    moment = reply.get("operationTime")
    if not isinstance(moment, Timestamp):
        return None  # a standalone server, or the stand-in: no cluster time to speak of
    cluster = reply.get("$clusterTime")
    token = bson.encode(cluster) if isinstance(cluster, Mapping) else None
    return Position({"t": (moment.time << 32) | moment.inc}, token)


def session_position(session: AsyncClientSession) -> Position | None:
    """Where ``session``'s last operation found the server (None: no cluster time)."""
    moment = session.operation_time
    if moment is None:
        return None
    return position_of({"operationTime": moment, "$clusterTime": session.cluster_time})


def advance(session: AsyncClientSession, required: Position) -> None:
    """Make ``session``'s reads wait until the server has applied ``required``."""
    mark = required.marks.get("t")
    if mark is None:
        return
    if required.token is not None:
        session.advance_cluster_time(bson.decode(required.token))
    session.advance_operation_time(Timestamp(mark >> 32, mark & 0xFFFFFFFF))


def required() -> Position | None:
    """The request's required position, if it is a MongoDB one."""
    context = consistency.current()
    if context is None or context.required is None or "t" not in context.required.marks:
        return None
    return context.required


class WriteTimes(monitoring.CommandListener):
    """Notes each successful write's operation time for the request's consistency context.

    Command listeners run in the task that sent the command, so the context is
    the request's; ``Runner`` flushes what was noted once the operation ends.
    """

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        return None

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name not in WRITES:
            return
        context = consistency.current()
        if context is None:
            return
        position = position_of(event.reply)
        if position is not None:
            context.noted(position)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None
