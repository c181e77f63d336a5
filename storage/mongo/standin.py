"""mongoeco, the MongoDB-wire stand-in: running it, and the ways it differs from MongoDB.

mongoeco serves the MongoDB wire protocol from an in-memory or SQLite engine,
so the real PyMongo driver talks to it over TCP exactly as it talks to
MongoDB. The service uses it for ``MONGO_URL=mongoeco://`` (try the Mongo
backend without a server) and the test suite runs it when no
``TEST_MONGO_URL`` is given. It is not MongoDB: everything this project knows
about where it differs lives in this module, so the rest of ``storage.mongo``
is written for MongoDB's documented behaviour.

Known differences (also listed in the README):

- no ``buildinfo`` command; ``hello`` says ``gitVersion: "mongoeco"`` (how
  ``is_standin`` tells it apart) and names no replica set, although
  transactions work;
- a transaction write conflict surfaces at commit as a plain
  ``OperationFailure`` "Write conflict during transaction commit", with no
  code and no ``TransientTransactionError`` label (MongoDB raises WriteConflict,
  code 112, with that label at the conflicting write); the memory engine
  treats any two concurrent write transactions as conflicting;
- after such a failed commit it keeps the transaction open on that server
  session, so the next transaction PyMongo runs on the pooled session would
  inherit its writes (a retried insert then fails as a duplicate of itself);
  ``clear_failed_commit`` aborts it explicitly; and because its memory engine
  fails any two overlapping write transactions, ``TransactionGate`` queues
  this process's transactions against it;
- its SQLite engine stalls (its one thread waits on a SQLite lock until the
  client times out) when a plain write arrives while another session's
  transaction is open, so ``TransactionGate`` queues plain operations too;
- its SQLite engine runs one transaction at a time and refuses every other
  session's operation meanwhile ("active transaction bound to another
  session"): a retry later succeeds, so it is treated as transient too;
- no ``collMod``: a collection's validator is changed by copying it into a new
  collection (``recreate_collection``), and "moderate" validation, which it
  cannot express, is approximated by none while data steps run;
- an insert with an integer ``_id`` compares it with every stored ``_id``, so
  loading N documents takes time in N² (the benchmark caps what it loads:
  ``bench.runner.STANDIN_MAX_ROWS``).

``python -m storage.mongo.standin [--path FILE] [--port N]`` runs one in the
foreground and prints its URL (the test suite starts it this way).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

SCHEME = "mongoeco://"
"""``mongoeco://`` (memory) or ``mongoeco:///path/to/file.db`` (SQLite file)."""
INSTALL_HINT = "pip install 'dualstore-api[mongoeco]'"
START_TIMEOUT_SECONDS = 15.0

# Server messages of the stand-in's transient failures (see the module docstring).
_TRANSIENT_MESSAGES = (
    "Write conflict during transaction commit",  # see clear_failed_commit
    "active transaction bound to another session",
)


def is_embedded_url(url: str) -> bool:
    """Whether ``url`` asks for an embedded stand-in rather than a server."""
    return url.lower().startswith(SCHEME)


def embedded_path(url: str) -> Path | None:
    """The SQLite file named by a ``mongoeco://`` URL, or None for the memory engine.

    ``mongoeco:///./app-mongo.db`` is relative to the working directory,
    ``mongoeco:////var/data/app.db`` absolute.
    """
    path = unquote(urlsplit(url).path)
    if path in ("", "/"):
        return None
    return Path(path[1:]) if path.startswith("/") else Path(path)


def is_standin(hello: dict[str, Any]) -> bool:
    """Whether a ``hello`` reply comes from mongoeco rather than MongoDB."""
    return hello.get("gitVersion") == "mongoeco"


def is_transient(message: str) -> bool:
    """Whether a server error message is one of the stand-in's retryable failures."""
    return any(fragment in message for fragment in _TRANSIENT_MESSAGES)


class TransactionGate:
    """Runs this process's operations against the stand-in one at a time.

    The stand-in's memory engine fails every write transaction that overlaps
    another one at all (MongoDB conflicts only on the same document), and its
    SQLite engine runs one at a time. Fifty concurrent orders would then mostly
    spend their retry budget failing each other's commits. Worse, on the
    SQLite engine a plain write (an id counter) arriving while another
    session's transaction is open makes the stand-in wait, on its only thread,
    for a lock that transaction holds: every request stalls until it times out
    (ten concurrent picture uploads did it). So plain operations queue here
    too, not only transactions: the stand-in never sees two at once. Queueing
    keeps the stand-in's answers those MongoDB would give; against MongoDB the
    gate is open and everything runs concurrently (``Runner``).
    """

    def __init__(self, closed: bool) -> None:
        # Open: one shared no-op, so every operation against MongoDB pays nothing here.
        self._gate: contextlib.AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if closed else contextlib.nullcontext()
        )

    def __call__(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """What each operation enters first: the stand-in's queue, or nothing."""
        return self._gate


_COMMIT_CONFLICT = "Write conflict during transaction commit"


async def clear_failed_commit(client: Any, session: Any, exc: Exception) -> None:
    """After the stand-in's failed commit, abort what it left open on ``session``.

    MongoDB ends a transaction whose commit failed; the stand-in does not.
    Nothing is sent for any other error, so this never talks to MongoDB.
    """
    if _COMMIT_CONFLICT in str(exc):
        await client.admin.command("abortTransaction", session=session)


def lacks_command(exc: Exception, command: str) -> bool:
    """Whether ``exc`` is the stand-in saying it does not implement ``command``."""
    return f"unsupported wire command: {command}" in str(exc)


async def recreate_collection(db: Any, name: str, options: dict[str, Any]) -> None:
    """Give collection ``name`` new creation ``options`` by copying it (no ``collMod``).

    For migrations only: the collection is briefly missing, and its indexes are
    dropped (the schema step creates them again). The stand-in renames only
    within a database through a command PyMongo does not send, so it copies.
    """
    saved = f"{name}__before_migration"
    await db.drop_collection(saved)
    await _copy(db[name], db[saved])
    await db.drop_collection(name)
    await db.create_collection(name, **options)
    await _copy(db[saved], db[name])
    await db.drop_collection(saved)


async def _copy(source: Any, target: Any) -> None:
    batch: list[dict[str, Any]] = []
    async for doc in source.find().sort("_id"):
        batch.append(doc)
        if len(batch) == 1000:
            await target.insert_many(batch)
            batch = []
    if batch:
        await target.insert_many(batch)


def _engine(path: Path | None) -> Any:
    try:
        from mongoeco.engines.memory import MemoryEngine
        from mongoeco.engines.sqlite import SQLiteEngine
    except ImportError as exc:
        raise RuntimeError(f"mongoeco:// needs the stand-in installed: {INSTALL_HINT}") from exc
    if path is None:
        return MemoryEngine()
    path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteEngine(str(path))


async def _serve(path: Path | None, port: int, ready: Future[str], stop: asyncio.Event) -> None:
    from mongoeco.wire import AsyncMongoEcoProxyServer

    server = AsyncMongoEcoProxyServer(engine=_engine(path), host="127.0.0.1", port=port)
    try:
        address = await server.start()
        ready.set_result(address.uri)
        await stop.wait()
    finally:
        await server.close()


class EmbeddedServer:
    """A stand-in wire server on a loopback port, on its own thread and event loop.

    Its own loop keeps the server answering while the application's loop is
    busy, and keeps its shutdown independent of the application's.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._ready: Future[str] = Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="mongoeco-server", daemon=True)

    def start(self) -> str:
        """Start the server; return its ``mongodb://`` URL."""
        self._thread.start()
        return self._ready.result(timeout=START_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """Stop the server and wait for its thread (its SQLite file is closed cleanly)."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=START_TIMEOUT_SECONDS)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await _serve(self.path, 0, self._ready, self._stop)

        try:
            asyncio.run(main())
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            else:
                logger.exception("the embedded mongoeco server stopped with an error")


def main(argv: list[str] | None = None) -> None:
    """Run a stand-in server in the foreground until SIGTERM/SIGINT; print its URL first."""
    parser = argparse.ArgumentParser(prog="python -m storage.mongo.standin", description=__doc__)
    parser.add_argument("--path", type=Path, help="SQLite file (default: in memory)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        ready: Future[str] = Future()
        ready.add_done_callback(lambda f: print(f.result(), flush=True))
        await _serve(args.path, args.port, ready, stop)

    asyncio.run(run())
    sys.exit(0)


if __name__ == "__main__":
    main()
