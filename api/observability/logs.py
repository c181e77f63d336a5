"""Logging for the app and for uvicorn, in one format: JSON lines (default) or text.

Every record carries the time (UTC), the level, the logger and, inside a
request, its request id. A record is one line in JSON, traceback included (as
a string field), so a log collector never splits an error in two. Configured
once per process by ``logging.config.dictConfig``: uvicorn applies
``logging_config()`` in the server process and again in each worker.
"""

from __future__ import annotations

import logging
import logging.config
import time
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from api.settings import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being served (set by ``api.observability.requests``)."""

# The service's own loggers and uvicorn's; libraries (SQLAlchemy, PyMongo) log
# through the root logger, kept at WARNING so their debug chatter stays out.
SERVICE_LOGGERS = ("api", "storage", "uvicorn")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or ``None`` outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonLineFormatter(JsonFormatter):
    """``{"time", "level", "logger", "msg", ...extras}``; ``request_id`` only inside a request."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger", "message": "msg"},
            # uvicorn's coloured copy of its message is noise in a log collector.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = _utc_time(record)
        super().add_fields(log_data, record, message_dict)
        if log_data.get("request_id") is None:
            log_data.pop("request_id", None)


class TextFormatter(logging.Formatter):
    """``2026-11-29T14:09:00.123Z INFO api: message [request id]``, tracebacks below."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        request_id = getattr(record, "request_id", None)
        if request_id:
            line += f" [{request_id}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _utc_time(record: logging.LogRecord) -> str:
    # time.strftime on the record's own fields: a third of datetime's cost, on every line.
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``dictConfig`` for the app and uvicorn: one stderr handler, the chosen format.

    uvicorn's own access log stays off (``serve`` passes ``access_log=False``):
    the app writes a richer line per request (``api.access``).
    """
    level = settings.log_level.upper()
    service = {"level": level, "handlers": [], "propagate": True}
    root_level = max(logging.WARNING, logging.getLevelNamesMapping()[level])
    formatter = JsonLineFormatter if settings.log_format == "json" else TextFormatter
    return {
        "version": 1,
        # Loggers created at import (api, storage.sql.errors, ...) must keep working.
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"service": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "service",
                "filters": ["request_id"],
            }
        },
        "loggers": {
            **dict.fromkeys(SERVICE_LOGGERS, service),
            "uvicorn.error": service,
        },
        "root": {"level": root_level, "handlers": ["stderr"]},
    }


def configure_logging(settings: Settings) -> None:
    """Apply ``logging_config(settings)`` to this process.

    A record's source file and line, thread, process and task are not in any
    line we write, so they are not looked up for every record either: the
    logging HOWTO's "Optimization" switches. The source lookup walks the stack
    and was most of the cost of the access log line.
    """
    logging.config.dictConfig(logging_config(settings))
    logging._srcfile = None  # documented: no findCaller per record
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.logAsyncioTasks = False  # type: ignore[attr-defined]  # Python 3.12+
