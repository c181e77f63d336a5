"""Check that two stores hold the same records: counts, checksums and id sources.

Each end is read through ``TransferStore.export`` in id order and every record
is hashed in its canonical form (``Record.canonical``: sorted JSON of every
stored field), so both checksums are computed the same way from the record
model, whatever the store; a field added to a record is checked from then on.
The derived fields (keys, guards) are left out, as the target recomputes them.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from api.copy.copier import BATCH_SIZE, Reporter
from api.copy.copier import batch_size as kind_batch_size
from storage.protocol import TransferStore
from storage.types.records import RECORDS, Record


@dataclass(frozen=True)
class Tally:
    """One kind of record in one store: how many, and the SHA-256 of their canonical forms."""

    count: int
    checksum: str
    id_counter: int


@dataclass(frozen=True)
class Comparison:
    """One kind of record, compared."""

    kind: str
    source: Tally
    target: Tally

    def problems(self) -> list[str]:
        """What differs, in words (empty when the kind matches)."""
        found = []
        if self.source.count != self.target.count:
            found.append(
                f"{self.kind}: {self.target.count} in the target, {self.source.count} in the source"
            )
        elif self.source.checksum != self.target.checksum:
            found.append(f"{self.kind}: checksums differ ({self.source.count} records each)")
        if self.target.id_counter < self.source.id_counter:
            found.append(
                f"{self.kind}: the target's next id would be {self.target.id_counter + 1}, "
                f"at or below the source's {self.source.id_counter}"
            )
        return found


@dataclass(frozen=True)
class Verdict:
    """Every kind compared; ``line()`` is the one-line verdict."""

    comparisons: list[Comparison]

    @property
    def ok(self) -> bool:
        """Whether the target matches the source in every kind."""
        return not any(comparison.problems() for comparison in self.comparisons)

    def line(self) -> str:
        """The verdict, in one line."""
        if not self.ok:
            problems = [p for comparison in self.comparisons for p in comparison.problems()]
            return "Verification FAILED: " + "; ".join(problems)
        total = sum(comparison.source.count for comparison in self.comparisons)
        kinds = ", ".join(f"{c.kind} {c.source.count:,}" for c in self.comparisons)
        return (
            f"Verified: the target matches the source, {total:,} records ({kinds}); "
            "counts and checksums equal, new ids continue after the copied ones"
        )


async def tally(
    transfer: TransferStore,
    kind: type[Record],
    reporter: Reporter,
    label: str,
    batch_size: int = BATCH_SIZE,
) -> Tally:
    """Count and hash every record of ``kind`` in one store, a batch at a time."""
    digest = hashlib.sha256()
    count = after = 0
    while records := await transfer.export(kind, after, kind_batch_size(kind, batch_size)):
        for record in records:
            digest.update(record.canonical().encode())
            digest.update(b"\n")
        count += len(records)
        after = records[-1].id
        reporter.advance(label, len(records))
    counter = (await transfer.census(kind)).id_counter
    return Tally(count, digest.hexdigest(), counter)


async def verify(
    source: TransferStore, target: TransferStore, reporter: Reporter, batch_size: int = BATCH_SIZE
) -> Verdict:
    """Compare every kind of record of ``source`` and ``target`` (both read at once)."""
    comparisons = []
    for kind in RECORDS:
        label = f"verify {kind.kind()}"
        expected = (await source.census(kind)).count + (await target.census(kind)).count
        reporter.start(label, expected, 0)
        source_tally, target_tally = await asyncio.gather(
            tally(source, kind, reporter, label, batch_size),
            tally(target, kind, reporter, label, batch_size),
        )
        comparisons.append(Comparison(kind.kind(), source_tally, target_tally))
    return Verdict(comparisons)
