"""Dependencies the routers declare."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from api.auth.admission import track_caller
from api.auth.passwords import Passwords
from storage.protocol import Storage


async def get_storage(request: Request) -> Storage:
    """The storage opened by the app's lifespan.

    ``async`` on purpose: FastAPI runs a plain ``def`` dependency in a thread
    pool, a thread hop on every request for an attribute read.

    When the store's reads may lag (replicas), a signed-in request's reads
    must see its caller's writes whether or not the route asks who is
    calling: its token is admitted here, before the first read.
    """
    storage = cast(Storage, request.app.state.storage)
    if storage.read_lag_bound is not None:
        await track_caller(request)
    return storage


StorageDep = Annotated[Storage, Depends(get_storage)]


async def get_passwords(request: Request) -> Passwords:
    """The password hasher built at start-up (its cost comes from the settings)."""
    passwords: Passwords = request.app.state.passwords
    return passwords


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
