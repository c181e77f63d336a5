"""Path parameters shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from storage.types import MAX_ID

ResourceId = Annotated[int, Path(ge=1, le=MAX_ID, description="A positive integer id.")]
