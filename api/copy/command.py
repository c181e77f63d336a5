"""``python -m api copy``: open both ends, copy, verify, say so in one line.

The verdict goes to stdout when the target matches, to stderr (exit status
1) when it does not; progress bars and the copy rate go to stderr. Every
failure is one line on stderr and a non-zero status.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from api.copy.copier import Options, Reporter, Silent, Stopped, copy_records, stopped
from api.copy.endpoints import (
    CopyError,
    Endpoint,
    endpoint,
    open_existing,
    open_target,
    same_database,
)
from api.copy.progress import ProgressBars
from api.copy.verify import Verdict, verify
from storage.errors import StorageError

STOPPED = 3
"""Exit status of a copy stopped by ``--stop-after``."""


@dataclass(frozen=True)
class Outcome:
    """What a copy did: records written, how long that took, and the verification."""

    written: int
    seconds: float
    verdict: Verdict

    @property
    def rate(self) -> float:
        """Records written per second."""
        return self.written / self.seconds if self.seconds else 0.0


def endpoints(source_url: str, target_url: str) -> tuple[Endpoint, Endpoint]:
    """Both ends of a copy; ``CopyError`` for a URL that names no database, or one twice."""
    source = endpoint(source_url, "source", "--from")
    target = endpoint(target_url, "target", "--to")
    if same_database(source, target):
        raise CopyError("--from and --to name the same database")
    return source, target


async def copy_between(
    source_url: str,
    target_url: str,
    options: Options | None = None,
    reporter: Reporter | None = None,
    *,
    verify_only: bool = False,
) -> Outcome:
    """Copy everything from ``source_url`` to ``target_url`` (migrated first), then verify.

    With ``verify_only`` nothing is written: both ends are compared as they are.

    Raises ``CopyError`` (one line for the operator) or ``Stopped``.
    """
    options = options or Options()
    reporter = reporter or Silent()
    source, target = endpoints(source_url, target_url)
    source_storage = await open_existing(source)
    try:
        target_storage = await (open_existing(target) if verify_only else open_target(target))
        try:
            started = time.perf_counter()
            written = 0
            if not verify_only:
                written = await copy_records(
                    source_storage.transfer, target_storage.transfer, options, reporter
                )
            seconds = time.perf_counter() - started
            try:
                verdict = await verify(
                    source_storage.transfer, target_storage.transfer, reporter, options.batch_size
                )
            except StorageError as exc:
                raise stopped("verifying", exc) from exc
        finally:
            await target_storage.close()
    finally:
        await source_storage.close()
    return Outcome(written, seconds, verdict)


class _OneLine(logging.Formatter):
    """Log records as single lines: the command's output stays one line per event."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return ""

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 (logging's name)
        return ""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None
        return " ".join(super().format(record).split())


def _log_to_stderr() -> None:
    # What the stores log (an unexpected database error, with the driver's words)
    # is for the operator: shown, as one line, before the command's own line.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("copy: %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])


def run(args: argparse.Namespace) -> None:
    """The ``copy`` command (see ``api.copy``)."""
    _log_to_stderr()
    console = Console(stderr=True)
    options = Options(batch_size=args.batch_size, resume=args.resume, stop_after=args.stop_after)
    try:
        with ProgressBars(console) as bars:
            outcome = asyncio.run(
                copy_between(args.source, args.target, options, bars, verify_only=args.verify_only)
            )
    except CopyError as exc:
        sys.exit(f"copy: {exc}")
    except Stopped:
        print(
            f"copy: stopped after {args.stop_after} batches; go on with --resume", file=sys.stderr
        )
        sys.exit(STOPPED)
    except KeyboardInterrupt:
        sys.exit("copy: interrupted; run the same command with --resume to go on")
    if outcome.written:
        console.print(
            f"Copied {outcome.written:,} records in {outcome.seconds:.1f} s "
            f"({outcome.rate:,.0f} records/s)",
            highlight=False,
        )
    if not outcome.verdict.ok:
        sys.exit(outcome.verdict.line())
    print(outcome.verdict.line())
