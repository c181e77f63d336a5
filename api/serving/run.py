"""Build uvicorn's configuration from the settings and run one server or a supervisor."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from uvicorn.config import STARTUP_FAILURE

from api.observability.logs import logging_config
from api.serving.protocol import GuardedProtocol, ServerConfig
from api.serving.server import DrainingServer, Supervisor
from api.settings import Settings

APP = "api.main:create_app"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
WORKER_HEALTHCHECK_SECONDS = 30


@dataclass(frozen=True)
class ServeOptions:
    """Where and how to serve; the command line's values over the settings' defaults."""

    host: str
    port: int
    workers: int
    timeout_graceful_shutdown: int
    timeout_keep_alive: int
    timeout_request_headers: int
    limit_concurrency: int
    backlog: int


def server_config(settings: Settings, options: ServeOptions) -> ServerConfig:
    """uvicorn's configuration: our protocol and logging, uvicorn's access log off."""
    return ServerConfig(
        APP,
        factory=True,
        host=options.host,
        port=options.port,
        workers=options.workers,
        http=GuardedProtocol,
        log_config=logging_config(settings),
        log_level=settings.log_level,
        access_log=False,  # the app writes its own line per request (api.access)
        timeout_graceful_shutdown=options.timeout_graceful_shutdown,
        # uvicorn replaces a worker that does not answer its ping in time; a worker
        # still importing on a busy machine can need more than the default 5 s.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        timeout_keep_alive=options.timeout_keep_alive,
        timeout_request_headers=options.timeout_request_headers,
        limit_concurrency=options.limit_concurrency,
        backlog=options.backlog,
    )


def run(settings: Settings, options: ServeOptions) -> None:
    """Serve until SIGTERM or SIGINT, then drain (see ``api.serving.server``)."""
    config = server_config(settings, options)
    with _metrics_directory(settings.metrics_enabled and options.workers > 1) as reap:
        listener = config.bind_socket()
        if options.workers > 1:
            Supervisor(config, [listener], on_worker_gone=reap).run()
            return
        server = DrainingServer(config)
        server.run(sockets=[listener])
        if not server.started:
            sys.exit(STARTUP_FAILURE)


@contextmanager
def _metrics_directory(needed: bool) -> Iterator[Callable[[int], None] | None]:
    """Prometheus' multiprocess mode for the workers: a directory they all write to.

    ``PROMETHEUS_MULTIPROC_DIR`` if the operator set one (emptied first, as
    prometheus-client requires), else a private temporary one removed at exit.
    Set in the environment before any worker starts, so each worker's
    prometheus-client picks multiprocess mode at import. Yields what to call
    when a worker is gone.
    """
    if not needed:
        yield None
        return
    given = os.environ.get(MULTIPROCESS_DIR)
    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="api-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(folder)
    from prometheus_client import multiprocess

    try:
        yield lambda pid: multiprocess.mark_process_dead(pid, str(folder))  # type: ignore[no-untyped-call]
    finally:
        if not given:
            shutil.rmtree(folder, ignore_errors=True)
