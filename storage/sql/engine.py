"""Build the async engine, with the per-dialect settings that keep behaviour identical."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.sql import liveness
from storage.sql.urls import to_async_url
from storage.timeouts import Timeouts

if TYPE_CHECKING:
    from storage.sql.read_pools import ReadPool

# Execution option a write transaction sets so SQLite takes its write lock up front.
SQLITE_WRITE = "sqlite_begin_immediate"
POOL_SIZE = 20
"""Connections per engine (one for reads, one for writes) per process, by default."""


def create_engine(
    url: str | URL,
    *,
    autocommit: bool = False,
    pool_size: int = POOL_SIZE,
    sqlite_foreign_keys: bool = True,
    timeouts: Timeouts | None = None,
    **kwargs: Any,
) -> AsyncEngine:
    """An async engine for ``url`` (plain or async scheme) tuned for this service.

    ``autocommit=True`` gives the engine for reads: no BEGIN/ROLLBACK around
    them and no liveness ping per checkout, three round trips saved on a point
    read. Under READ COMMITTED a transaction gave a multi-statement read no
    extra consistency anyway (each statement sees its own snapshot). A pooled
    connection the server closed is replaced at checkout without a round trip
    (``storage.sql.liveness``); one that dies mid-read fails that read (503).
    ``sqlite_foreign_keys=False`` is for migrations only (see ``storage.sql.migrate``).

    ``timeouts`` bound connecting, waiting for the pool and each statement
    (``storage.timeouts``); without them (migrations, tools) the drivers'
    defaults apply, so a long migration is never cut short.
    """
    async_url = to_async_url(str(url) if isinstance(url, str) else url.render_as_string(False))
    dialect = async_url.get_backend_name()
    if autocommit:
        kwargs.setdefault("pool_reset_on_return", None)  # nothing to roll back
    # Statement parameters hold password hashes and emails: keep them out of
    # SQLAlchemy's log lines and exception messages, which may reach a log.
    kwargs.setdefault("hide_parameters", True)
    if async_url.database not in (None, "", ":memory:"):
        # A fixed pool: requests beyond it wait for a connection (cheap) rather
        # than open an "overflow" one that is closed again on return. That
        # churn cost more CPU than the queries (a TLS handshake per request on
        # PostgreSQL; a thread, a file and its PRAGMAs on SQLite).
        kwargs.setdefault("pool_size", pool_size)
        kwargs.setdefault("max_overflow", 0)
        if timeouts is not None:
            kwargs.setdefault("pool_timeout", timeouts.pool)
    if dialect == "sqlite":
        # How long a statement waits for another connection's write lock.
        busy = timeouts.statement if timeouts is not None else 30
        engine = create_async_engine(async_url, connect_args={"timeout": busy}, **kwargs)
        _configure_sqlite(engine, transactions=not autocommit, foreign_keys=sqlite_foreign_keys)
        return engine
    if timeouts is not None:
        kwargs.setdefault("connect_args", _server_timeouts(dialect, timeouts))
    if autocommit:
        kwargs.setdefault("isolation_level", "AUTOCOMMIT")
    else:
        kwargs.setdefault("pool_pre_ping", True)
        if dialect == "mysql":
            # PostgreSQL's default; on InnoDB it lets a statement see rows that
            # another transaction committed since ours began (e.g. a tag just created).
            kwargs.setdefault("isolation_level", "READ COMMITTED")
    engine = create_async_engine(async_url, **kwargs)
    liveness.install(engine)
    if timeouts is not None and dialect == "mysql":
        _limit_mysql_statements(engine, timeouts.statement)
    return engine


def _server_timeouts(dialect: str, timeouts: Timeouts) -> dict[str, Any]:
    """Driver arguments that bound connecting and each statement.

    The server cancels a statement at ``statement`` and says so (a clean
    error, the connection stays usable); the client gives up a little later
    (``client_statement``) only if no answer comes at all: a frozen server
    or a lost network, where the connection is then dropped.
    """
    if dialect == "postgresql":
        return {
            "timeout": timeouts.connect,
            "command_timeout": timeouts.client_statement,
            "server_settings": {"statement_timeout": str(round(timeouts.statement * 1000))},
        }
    # asyncmy's connect_timeout covers the TCP connect only; read_timeout bounds
    # every read after it, the server's greeting and authentication included.
    return {"connect_timeout": timeouts.connect, "read_timeout": timeouts.client_statement}


def _limit_mysql_statements(engine: AsyncEngine, seconds: float) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The dialect knows the flavour by now: its first-connect hook runs first.
        if engine.dialect.is_mariadb:  # type: ignore[attr-defined]
            statement = f"SET SESSION max_statement_time = {seconds:.3f}"  # every statement
        else:
            statement = f"SET SESSION max_execution_time = {round(seconds * 1000)}"  # SELECTs
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()


def _configure_sqlite(engine: AsyncEngine, *, transactions: bool, foreign_keys: bool) -> None:
    file_backed = engine.url.database not in (None, "", ":memory:")

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over BEGIN from the driver so writes can use BEGIN IMMEDIATE below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Set outside any transaction (SQLite ignores it inside one).
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        if file_backed:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    if not transactions:
        return  # the driver runs in autocommit mode: each statement stands alone

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes can fail with
        # "database is locked" without waiting; IMMEDIATE waits for the lock.
        immediate = conn.get_execution_options().get(SQLITE_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_read_pool(
    read_engine: AsyncEngine, pool_size: int, timeouts: Timeouts, *, session: str = ""
) -> ReadPool:
    """The pool reads run on (``storage.sql.read_pools``), set up like the engines' connections.

    The driver gets the connection arguments SQLAlchemy would give it for
    ``read_engine``'s URL, plus the same timeouts. Nothing connects yet.
    ``session``: more MariaDB session settings (Galera's ``wsrep_sync_wait``).
    """
    from storage.sql import read_pools  # imports the drivers

    url, dialect = read_engine.url, read_engine.dialect
    driver = url.get_driver_name()
    if dialect.name == "postgresql" and driver == "asyncpg":
        _, kwargs = dialect.create_connect_args(url)
        args = {**kwargs, **_server_timeouts("postgresql", timeouts)}
        return read_pools.AsyncpgReads(dialect, args, pool_size, timeouts)
    if dialect.name == "mysql" and driver == "asyncmy":
        _, kwargs = dialect.create_connect_args(url)
        args = {**kwargs, **_server_timeouts("mysql", timeouts)}
        return read_pools.AsyncmyReads(dialect, args, pool_size, timeouts, session)
    if dialect.name == "sqlite" and url.database not in (None, "", ":memory:"):
        from storage.sql.sqlite_reads import SqliteReads

        return SqliteReads(dialect, url.database, pool_size, timeouts)
    # An in-memory SQLite database (one connection, shared) or another driver.
    return read_pools.EngineReads(read_engine, timeouts)
