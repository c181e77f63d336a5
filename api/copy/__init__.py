"""``python -m api copy --from URL --to URL``: every record from one store to another.

Users, posts with their tags, categories, products (deleted ones too), orders
with their lines: ids, timestamps and versions kept, the target's id sources
moved past the copied ids. The target is migrated first; a non-empty target
is refused unless ``--resume`` (finish an interrupted copy). Every copy ends
by comparing both ends (counts and checksums, ``api.copy.verify``).

The command talks to ``storage.protocol.TransferStore`` only, on both ends
(``api.copy.copier``): nothing in it knows one store from another.
"""

from __future__ import annotations

import argparse
from typing import Any

DESCRIPTION = """\
Copy every record from one database to another, any store to any other: users,
posts with their tags, categories, products (deleted ones too), orders with
their lines, keeping ids, timestamps and versions. The target is migrated
first and its id sources end past the copied ids. A target that already holds
records is refused unless --resume, which finishes an interrupted copy. The
copy ends by comparing both ends (counts and checksums) and one line saying
whether they match (exit status 0) or not (1).
"""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _run(args: argparse.Namespace) -> None:
    # Imported when the command runs: `serve` never loads rich or the copier.
    from api.copy.command import run

    run(args)


def add_command(commands: Any) -> None:
    """Add ``copy`` to the ``python -m api`` sub-commands (an argparse subparsers object)."""
    parser = commands.add_parser(
        "copy",
        help="copy every record from one database to another (any store to any other)",
        description=DESCRIPTION,
    )
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="URL",
        help="source: sqlite:///file.db, postgresql://…, mysql://…, mongodb://…, mongoeco:///file.db",
    )
    parser.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="target, any of the same"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted copy into a target that already holds part of it",
    )
    parser.add_argument(
        "--verify-only",
        action="store_true",
        help="copy nothing; compare the two ends and give the verdict",
    )
    parser.add_argument(
        "--batch-size", type=_positive, default=1000, help="records per batch (default 1000)"
    )
    # For tests of resuming: stop once this many batches are written.
    parser.add_argument("--stop-after", type=_positive, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(run=_run)
