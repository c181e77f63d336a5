"""A record field's type read for the stores: bare type, nullability and constraints.

The records (``storage.types.records``) declare every stored field once, with
its type and limits; each store derives how it keeps the field from what this
module reads out of that declaration: the MongoDB validators
(``storage.mongo.validators``) and the SQL columns (``storage.sql.columns``).
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import Ge, Gt, MaxLen, MinLen
from pydantic.fields import FieldInfo

from storage.types.schema import Stored


@dataclass(frozen=True)
class Shape:
    """What a field's type says: its bare type, whether it may be None, its constraints."""

    bare: Any
    nullable: bool
    constraints: tuple[Any, ...]

    def last[C](self, kind: type[C]) -> C | None:
        """The constraint of ``kind`` that applies (the last one declared), if any."""
        found = [item for item in self.constraints if isinstance(item, kind)]
        return found[-1] if found else None

    @property
    def stored(self) -> Stored:
        """The field's ``Stored`` declaration (an empty one if it has none)."""
        return self.last(Stored) or Stored()

    @property
    def max_length(self) -> int | None:
        found = self.last(MaxLen)
        return None if found is None else found.max_length

    @property
    def min_length(self) -> int | None:
        found = self.last(MinLen)
        return None if found is None else found.min_length

    @property
    def lower_bound(self) -> tuple[Any, bool] | None:
        """The least value allowed and whether it is itself allowed (``ge``) or not (``gt``)."""
        for item in reversed(self.constraints):
            if isinstance(item, Ge):
                return item.ge, True
            if isinstance(item, Gt):
                return item.gt, False
        return None

    def general(self, name: str) -> Any:
        """A constraint pydantic keeps by name (``pattern``, ``max_digits``), the last declared."""
        values = [getattr(item, name) for item in self.constraints if getattr(item, name, None)]
        return values[-1] if values else None

    @property
    def extra(self) -> dict[str, Any]:
        """JSON Schema words declared with the field (``json_schema_extra``)."""
        merged: dict[str, Any] = {}
        for item in self.constraints:
            if isinstance(item, dict):
                merged |= item
        return merged


def shape_of(annotation: Any, constraints: tuple[Any, ...] = ()) -> Shape:
    """The shape of a type (``Annotated`` and ``X | None`` unwrapped), with ``constraints``."""
    found = list(constraints)
    nullable = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            for item in extra:
                found += _flattened(item)
            continue
        if origin in (Union, types.UnionType):
            options = [option for option in get_args(annotation) if option is not type(None)]
            nullable = nullable or len(options) < len(get_args(annotation))
            if len(options) == 1:
                annotation = options[0]
                continue
        return Shape(annotation, nullable, tuple(found))


def field_shape(field: FieldInfo) -> Shape:
    """The shape of a model field: its annotation and its ``Field`` constraints."""
    return shape_of(field.annotation, tuple(_flattened(field)))


def _flattened(item: Any) -> list[Any]:
    if not isinstance(item, FieldInfo):
        return [item]
    extra = [item.json_schema_extra] if isinstance(item.json_schema_extra, dict) else []
    return [*item.metadata, *extra]
