"""Command line: ``python -m api migrate``, ``serve``, ``create-admin`` and ``copy``.

``migrate`` and ``serve`` read the same settings as the app; ``copy`` reads
none, its two URLs say it all (``api.copy``). A bad setting or an
unreachable database ends the command with one line on stderr saying what to fix.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from pydantic import ValidationError

from api import copy as copy_command
from api.create_admin import add_command as add_create_admin
from api.settings import InsecureSecret, Settings, describe_error
from storage.errors import StorageError, Unavailable
from storage.factory import migrate_storage, open_storage


def load_settings() -> Settings:
    """Settings from the environment, or exit with a one-line explanation."""
    try:
        return Settings()
    except ValidationError as exc:
        sys.exit(describe_error(exc))


async def _migrate(settings: Settings) -> str:
    return await migrate_storage(
        settings.storage_backend, database_url=settings.database_url, mongo_url=settings.mongo_url
    )


async def _check_ready(settings: Settings) -> None:
    storage = await open_storage(
        settings.storage_backend,
        database_url=settings.database_url,
        mongo_url=settings.mongo_url,
        timeouts=settings.timeouts(),
        # Replicas the primary cannot have stop `serve` here, with one line.
        read_urls=settings.read_urls() if settings.storage_backend == "sql" else None,
        read_max_lag=settings.database_read_max_lag,
    )
    await storage.close()


def _failure(prefix: str, exc: StorageError, settings: Settings) -> str:
    """One line for the operator: what failed, and which setting to check."""
    line = f"{prefix}: {exc.message}"
    if isinstance(exc, Unavailable):
        variable = "DATABASE_URL" if settings.storage_backend == "sql" else "MONGO_URL"
        line += f" (is the server running, and is {variable} right?)"
    return line


def migrate(_args: argparse.Namespace) -> None:
    """Bring the configured database's schema up to date (idempotent)."""
    settings = load_settings()
    try:
        print(asyncio.run(_migrate(settings)))
    except StorageError as exc:
        sys.exit(_failure("Migration failed", exc, settings))


def serve(args: argparse.Namespace) -> None:
    """Check the database is reachable and migrated, then run uvicorn (see ``api.serving``)."""
    from api.observability.logs import configure_logging
    from api.serving.run import ServeOptions, run

    if not args.access_log:
        # The app reads its settings again in each worker process: say it there.
        os.environ["ACCESS_LOG"] = "false"
    settings = load_settings()
    options = ServeOptions(
        host=args.host,
        port=args.port,
        **{name: _chosen(args, settings, name) for name in SERVER_SETTINGS},
    )
    embedded = settings.storage_backend == "mongo" and settings.mongo_url.startswith("mongoeco://")
    if embedded and options.workers > 1:
        # Each worker would start its own embedded server: separate data, or one file
        # written by several servers at once.
        sys.exit("Cannot start: MONGO_URL=mongoeco:// serves one process; use --workers 1")
    try:
        settings.signing_key()
    except InsecureSecret as exc:
        sys.exit(f"Cannot start: {exc}")
    configure_logging(settings)
    try:
        asyncio.run(_check_ready(settings))
    except StorageError as exc:
        sys.exit(_failure("Cannot start", exc, settings))
    run(settings, options)


# Server settings the command line can override, with their help.
SERVER_SETTINGS = {
    "workers": "worker processes (each with its own database pools)",
    "timeout_graceful_shutdown": "seconds in-flight requests get after SIGTERM",
    "timeout_keep_alive": "seconds an idle keep-alive connection stays open",
    "timeout_request_headers": "seconds a connection has to send a complete request head",
    "limit_concurrency": "connections plus requests per worker before new requests get 503",
    "backlog": "connections the kernel queues before the server accepts them",
}


def _chosen(args: argparse.Namespace, settings: Settings, name: str) -> int:
    value = getattr(args, name)
    return int(getattr(settings, name) if value is None else value)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    commands.add_parser("migrate", help=migrate.__doc__).set_defaults(run=migrate)
    serve_parser = commands.add_parser("serve", help=serve.__doc__)
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    for name, text in SERVER_SETTINGS.items():
        serve_parser.add_argument(
            "--" + name.replace("_", "-"),
            type=_positive,
            help=f"{text} (default: ${name.upper()}, see the README)",
        )
    serve_parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="do not log every request (e.g. behind a proxy that already does)",
    )
    serve_parser.set_defaults(run=serve)
    add_create_admin(commands)
    copy_command.add_command(commands)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
