"""Dependencies the routers declare."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from storage.protocol import Storage


def get_storage(request: Request) -> Storage:
    """The storage opened by the app's lifespan."""
    return cast(Storage, request.app.state.storage)


StorageDep = Annotated[Storage, Depends(get_storage)]
