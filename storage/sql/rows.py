"""The one way a SQL store adds a row, finds the row it was asked to change, and changes it.

Every update (users, posts, categories, products) is the same preamble: lock
the row, check the client's If-Match against it, turn the patch into stored
fields (keys included, ``Listing.with_keys``), set them and stamp
``updated_at``. ``locked`` and ``update_row`` are that preamble, once;
``added`` is every insert's (timestamps, flush).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.interfaces import ORMOption

from storage.errors import NotFound
from storage.types import ensure_current, utc_now
from storage.types.common import Patch, Resource
from storage.types.schema import Listing


class Row(Protocol):
    """A mapped row with an id and the ``Timestamped`` bookkeeping."""

    id: Any
    updated_at: Any


Assign = Callable[[Any], Awaitable[None]]
"""Sets one field that is not a plain column (a relationship: a product's category)."""


async def added[R: Row](session: AsyncSession, row_type: Callable[..., R], **fields: Any) -> R:
    """A new row of ``row_type`` with ``fields``, stamped and flushed (its id assigned).

    A unique key or a reference it breaks is raised here, inside the transaction.
    """
    now = utc_now()
    row = row_type(**fields, created_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    return row


async def lock_row(session: AsyncSession, id_column: Any, row_id: int) -> None:
    """Hold the write lock of one row until the transaction ends.

    An update reads the row, then writes it; without the lock a concurrent
    delete or update could land in between (a lost update, or an UPDATE that
    matches nothing). PostgreSQL and MariaDB make the other writer wait;
    SQLite has no row locks and needs none (BEGIN IMMEDIATE serialises writers).
    """
    await session.execute(select(id_column).where(id_column == row_id).with_for_update())


async def locked[R: Row](
    session: AsyncSession,
    row_type: type[R],
    row_id: int,
    missing: str,
    options: tuple[ORMOption, ...] = (),
) -> R:
    """The row ``row_id`` of ``row_type``, locked until the transaction ends.

    Raises ``NotFound(missing)`` if there is none. ``options`` say what to load
    with it (its author and tags, its category).
    """
    id_column: InstrumentedAttribute[Any] = row_type.id
    await lock_row(session, id_column, row_id)
    row = await session.get(row_type, row_id, options=options)
    if row is None:
        raise NotFound(missing)
    return row


async def update_row[R: Row](
    session: AsyncSession,
    row: R,
    shown: Callable[[R], Resource],
    expected: str | None,
    listing: Listing,
    changes: Patch,
    assign: Mapping[str, Assign] | None = None,
) -> None:
    """Apply ``changes`` to the locked ``row`` if ``expected`` (an If-Match) still holds.

    ``shown`` is the resource as a client sees it (what its ETag is computed
    from). The sent fields and their keys are set (``assign`` sets the fields
    that are not columns), ``updated_at`` is stamped and the row flushed, so a
    unique key taken meanwhile is a ``Conflict`` here. An empty patch changes
    nothing, not even ``updated_at`` (as on MongoDB).
    """
    ensure_current(shown(row), expected)
    fields = listing.with_keys(changes.changes())
    if not fields:
        return
    special = assign or {}
    for name, value in fields.items():
        if name in special:
            await special[name](value)
        else:
            setattr(row, name, value)
    row.updated_at = utc_now()
    await session.flush()
