"""How every Mongo store method runs: in a transaction or not, retried, translated.

A rule that spans documents (a post's author exists, a category being deleted
has no products, a user's posts go with the user) runs as one callback inside
a multi-document transaction (``Runner.transaction``). The callback is run
again when the server says the attempt was transient (MongoDB's
``TransientTransactionError`` label, e.g. a write conflict with a concurrent
transaction; ``storage.mongo.errors.is_transient``), by the rule every store
follows (``storage.retry``: jittered back-off, one deadline); a commit whose
outcome is unknown (``UnknownTransactionCommitResult``) is committed again.
Clients never see a transient conflict: they see the result, a neutral error,
or after ``timeouts.operation`` a 503 ``Unavailable``. That one deadline
covers the attempts, their back-off and every round trip in them: it is also
PyMongo's client-side operation timeout (``pymongo.timeout``), so a server
that stops answering mid-operation ends the operation on time too.

Snapshot isolation alone would let a post be inserted for an author that a
concurrent transaction deletes (each reads the other's "before"). So every
transaction that depends on a document existing also *writes* it
(``guard``): two transactions writing one document cannot both commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pymongo
from pymongo import AsyncMongoClient, ReadPreference, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from storage import consistency
from storage.errors import NotFound, StorageError
from storage.mongo import causal, standin
from storage.mongo.documents import GUARD, META, Database, Document
from storage.mongo.errors import MongoConfigError, translate_errors
from storage.retry import retrying
from storage.timeouts import Timeouts

T = TypeVar("T")
Session = AsyncClientSession

# MongoDB's code for "transactions need a replica set member or mongos" (IllegalOperation).
_ILLEGAL_OPERATION = 20


class Runner:
    """The client and database of one Mongo backend, and the one way stores use them."""

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        db: Database,
        timeouts: Timeouts | None = None,
        *,
        standin_server: bool = False,
    ) -> None:
        self.client = client
        self.db = db
        self.seconds = (timeouts or Timeouts()).operation
        """The deadline of one operation, retries included."""
        self._gate = standin.TransactionGate(closed=standin_server)
        self.lag_bound = causal.reads_may_lag(client.read_preference)
        """How far behind a read may be (secondaries in ``readPreference``); None: no lag."""

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` (no transaction), retrying transient failures, translating errors."""

        async def attempt(deadline: float) -> T:
            with translate_errors():
                async with self._gate():
                    return await self._causally(work)

        with pymongo.timeout(self.seconds):
            result = await retrying(attempt, self.seconds)
        await self._keep_positions()
        return result

    async def _causally(self, work: Callable[[], Awaitable[T]]) -> T:
        """``work()``, in a session that waits for the caller's position if it has one."""
        required = causal.required() if self.lag_bound is not None else None
        if required is None:
            return await work()
        async with (
            self.client.start_session(causal_consistency=True) as session,
            session.bind(end_session=False),
        ):
            causal.advance(session, required)
            return await work()

    async def _keep_positions(self) -> None:
        """Keep the operation times the writes just noted for the caller (``causal``)."""
        if self.lag_bound is not None and (context := consistency.current()) is not None:
            await context.flush()

    async def transaction(self, work: Callable[[Session], Awaitable[T]]) -> T:
        """Run ``work(session)`` in one multi-document transaction, all or nothing.

        Neutral errors raised by ``work`` abort the transaction and propagate.
        """

        async def attempt(deadline: float) -> T:
            with translate_errors():
                return await self._attempt(work, deadline)

        with pymongo.timeout(self.seconds):
            result = await retrying(attempt, self.seconds)
        await self._keep_positions()
        return result

    async def snapshot(self, work: Callable[[Session], Awaitable[T]]) -> T:
        """Run the reads of ``work(session)`` on one snapshot (a page, its total, its authors).

        For a caller who must see its own writes while reads may go to secondaries,
        a read-only snapshot transaction on the primary (``storage.mongo.causal``).
        """
        if self.lag_bound is not None and causal.required() is not None:
            return await self.transaction(work)

        async def read() -> T:
            async with self.client.start_session(snapshot=True) as session:
                return await work(session)

        return await self.run(read)

    async def fresh(self, work: Callable[[Session], Awaitable[T]]) -> T:
        """Run ``work(session)``, whose reads name the primary, noting where it stood.

        For reads that must see every acknowledged write (a log-in): the
        request's ``storage.consistency`` context then requires that position.
        """

        async def read() -> T:
            async with self.client.start_session(causal_consistency=True) as session:
                result = await work(session)
                reached = causal.session_position(session)
            context = consistency.current()
            if context is not None and reached is not None:
                context.noted(reached)
            return result

        return await self.run(read)

    async def _attempt(self, work: Callable[[Session], Awaitable[T]], deadline: float) -> T:
        async with self._gate(), self.client.start_session() as session:
            # Transactions read and write on the primary, whatever readPreference says.
            await session.start_transaction(
                read_concern=ReadConcern("snapshot"),
                write_concern=WriteConcern("majority"),
                read_preference=ReadPreference.PRIMARY,
            )
            try:
                result = await work(session)
            except BaseException:
                if session.in_transaction:
                    await _past_deadline(session.abort_transaction())
                raise
            try:
                await _commit(session, deadline)
            except PyMongoError as exc:
                # Best effort: the commit's own error is the one to report.
                await _past_deadline(standin.clear_failed_commit(self.client, session, exc))
                raise
            return result

    async def guard(self, session: Session, collection: str, doc_id: int, missing: str) -> Document:
        """Write ``doc_id`` in ``collection`` inside this transaction and return it.

        Called by a transaction whose rule needs that document to exist (a post's
        author, a product's category): a concurrent transaction deleting it now
        conflicts with this one, so at most one of them commits. Raises
        ``NotFound(missing)`` if there is no such document.
        """
        doc = await self.db[collection].find_one_and_update(
            {"_id": doc_id},
            {"$inc": {GUARD: 1}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if doc is None:
            raise NotFound(missing)
        return doc

    async def check_transactions(self) -> None:
        """Refuse to serve from a server that cannot run multi-document transactions."""
        try:

            async def probe(session: Session) -> None:
                await self.db[META].update_one(
                    {"_id": "transaction-probe"}, {"$inc": {"n": 1}}, upsert=True, session=session
                )

            await self.transaction(probe)
        except StorageError as exc:
            cause = exc.__cause__
            if isinstance(cause, OperationFailure) and (
                cause.code == _ILLEGAL_OPERATION or "replica set" in str(cause)
            ):
                raise MongoConfigError(
                    "MongoDB cannot run multi-document transactions here (a standalone "
                    "server): run it as a replica set, a single node is enough "
                    "(mongod --replSet rs0, then rs.initiate(); compose.yaml does this)"
                ) from exc
            raise


async def _past_deadline(cleanup: Awaitable[object]) -> None:
    """Run ``cleanup`` (ending a transaction) even when the operation's deadline has passed.

    Work often fails *because* the deadline passed, and an abort sent under
    that deadline fails at once, client-side, leaving the transaction open on
    the server: MongoDB holds it until ``transactionLifetimeLimitSeconds``; the
    stand-in keeps it for good, and its writes were seen as committed. So the
    cleanup runs in a fresh context, outside the operation's ``pymongo.timeout``
    (the client's ``timeoutMS`` still bounds it), shielded from the request's
    cancellation. Best effort: its own errors are dropped.
    """

    async def run() -> None:
        with contextlib.suppress(PyMongoError):
            await cleanup

    await asyncio.shield(asyncio.create_task(run(), context=contextvars.Context()))


async def _commit(session: Session, deadline: float) -> None:
    # PyMongo retries a commit once on a network error itself; an outcome still
    # unknown after that is committed again (commit is idempotent) until the deadline.
    while True:
        try:
            await session.commit_transaction()
            return
        except PyMongoError as exc:
            unknown = exc.has_error_label("UnknownTransactionCommitResult")
            if not unknown or time.monotonic() >= deadline:
                raise
