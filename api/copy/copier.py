"""Copy every record from one store to another, in batches, resumably.

Only ``storage.protocol.TransferStore`` is used on either end, so any store
copies to any other. Kinds are copied in the order of ``RECORDS`` (each after
the ones it refers to), each in ascending id order, a batch at a time; the
next batch is read while the current one is written.

**Resuming.** Each batch is written in id order, in one transaction (SQL) or
one ordered bulk write of whole documents (MongoDB), and a kind is finished
before the next begins. So an interrupted copy leaves, for every kind, the
source's records up to the highest id the target holds, and nothing above
it: ``--resume`` continues each kind after that id instead of reading and
rewriting what is already there. Imports are upserts by id anyway, so a
batch written twice (a retry after a lost answer, two resumes) converges.
This assumes nobody writes to the source meanwhile; the verification that
ends every copy says so if someone did.

**Ids.** Ids are kept, and once a kind is copied the target's id source is
moved past both the highest copied id and the source's own id source (which
is ahead of it when the newest record was deleted: its id stays unused).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from api.copy.endpoints import CopyError
from storage.errors import StorageError, Unavailable
from storage.protocol import TransferStore
from storage.types.records import RECORDS, Census, Record

BATCH_SIZE = 1000


def batch_size(kind: type[Record], wanted: int) -> int:
    """How many records of ``kind`` one batch moves: ``wanted``, or less if the kind says so."""
    return min(wanted, kind.batch_size or wanted)


class Reporter(Protocol):
    """Where progress goes (a rich progress bar on the command line, nothing in tests)."""

    def start(self, label: str, total: int, done: int) -> None:
        """A step of ``total`` records begins, ``done`` of them already done."""
        ...

    def advance(self, label: str, records: int) -> None:
        """``records`` more records of the step are done."""
        ...


class Silent:
    """A ``Reporter`` that reports nothing."""

    def start(self, label: str, total: int, done: int) -> None:
        pass

    def advance(self, label: str, records: int) -> None:
        pass


class TargetNotEmpty(CopyError):
    """The target holds records and the copy was not told to resume."""


class Stopped(Exception):
    """The copy stopped on purpose after ``stop_after`` batches (to test resuming)."""


@dataclass(frozen=True)
class Options:
    """How to copy."""

    batch_size: int = BATCH_SIZE
    resume: bool = False
    stop_after: int | None = None
    """Stop (raise ``Stopped``) once this many batches are written: a test hook."""


async def copy_records(
    source: TransferStore, target: TransferStore, options: Options, reporter: Reporter
) -> int:
    """Copy every kind of record from ``source`` to ``target``; the number of records written.

    Raises ``TargetNotEmpty`` unless the target is empty or ``options.resume``.
    """
    try:
        sources = {kind: await source.census(kind) for kind in RECORDS}
        targets = {kind: await target.census(kind) for kind in RECORDS}
    except StorageError as exc:
        raise stopped("counting records", exc) from exc
    held = [f"{kind.kind()} {found.count}" for kind, found in targets.items() if found.count]
    if held and not options.resume:
        raise TargetNotEmpty(
            f"the target already holds records ({', '.join(held)}); copy into an empty "
            "database, or pass --resume to finish an interrupted copy into this one"
        )
    budget = _Budget(options.stop_after)
    written = 0
    for kind in RECORDS:
        reporter.start(kind.kind(), sources[kind].count, targets[kind].count)
        written += await _copy_kind(source, target, kind, targets[kind], options, reporter, budget)
        try:
            await target.continue_ids(kind, sources[kind].id_counter)
        except StorageError as exc:
            raise stopped(f"moving the id source of {kind.kind()}", exc) from exc
    return written


async def _copy_kind(
    source: TransferStore,
    target: TransferStore,
    kind: type[Record],
    held: Census,
    options: Options,
    reporter: Reporter,
    budget: _Budget,
) -> int:
    written = 0
    # Empty, or the prefix an interrupted copy left (see the module docstring).
    after = held.highest_id
    size = batch_size(kind, options.batch_size)
    reading = asyncio.ensure_future(source.export(kind, after, size))
    try:
        while records := await reading:
            # Read the next batch while this one is written.
            reading = asyncio.ensure_future(source.export(kind, records[-1].id, size))
            await target.import_(kind, records)
            after = records[-1].id
            written += len(records)
            reporter.advance(kind.kind(), len(records))
            budget.spend()
    except StorageError as exc:
        raise stopped(f"copying {kind.kind()} after id {after}", exc) from exc
    finally:
        await _settle(reading)
    return written


def stopped(step: str, exc: StorageError) -> CopyError:
    """The one line saying that ``step`` failed with ``exc``, and what to do next."""
    lines = exc.message.strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    if isinstance(exc, Unavailable):
        advice = "run the same command with --resume to go on"
    else:
        advice = "fix that, then run the same command with --resume"
    return CopyError(f"{step} stopped: {reason}; {advice}")


class _Budget:
    """Counts written batches against ``stop_after``."""

    def __init__(self, stop_after: int | None) -> None:
        self._left = stop_after

    def spend(self) -> None:
        if self._left is None:
            return
        self._left -= 1
        if self._left <= 0:
            raise Stopped("stopped as asked (--stop-after)")


async def _settle(task: asyncio.Future[list[Record]]) -> None:
    """Cancel a read ahead that is no longer wanted, and consume its outcome."""
    task.cancel()
    # wait() neither raises the task's error nor swallows our own cancellation.
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # retrieved: an error here was already raised, or is moot
