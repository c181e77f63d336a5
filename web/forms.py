"""Reading a submitted form and checking it with the API's own models.

Forms send text; the models in ``storage.types`` hold every rule. ``read``
checks the CSRF token and returns the text fields; ``validate`` builds the
model and turns a ``ValidationError`` into one message per field, for the
template to show next to its input while keeping what the person typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError

from web import csrf
from web.rendering import pages_of

FORM_ERROR = "__form__"
"""The key of an error that belongs to no single field."""

Errors = dict[str, str]


async def read(request: Request) -> dict[str, str]:
    """The form's text fields (files and repeated fields left out); ``CsrfFailed`` if forged."""
    form = await request.form()
    csrf.check(request, form, pages_of(request).csrf_key)
    return {
        key: value for key, value in form.items() if isinstance(value, str) and key != "csrf_token"
    }


def whole_number(value: str | None) -> int | str | None:
    """``"36"`` -> 36; empty -> None; anything else stays text, for the model to refuse.

    Only ASCII digits make a number, as in the API's query parameters: Python's
    ``int`` would also read ``"٣٦"`` (Arabic-Indic digits) as 36.
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        return int(text) if text.isascii() else text
    except ValueError:
        return text


def words(value: str | None) -> list[str]:
    """Tags typed as ``python, web  databases``: split on commas and white space."""
    return (value or "").replace(",", " ").split()


# Length rules on text, said in characters (pydantic words some of them as "items").
_TEXT_LENGTH = {
    "too_short": "Must be at least {min_length} characters",
    "too_long": "Must be at most {max_length} characters",
}


def message(error: Any) -> str:
    """A person's reading of one pydantic error."""
    template = _TEXT_LENGTH.get(error.get("type"))
    if template is not None and isinstance(error.get("input"), str):
        try:
            return template.format(**error.get("ctx", {}))
        except (KeyError, IndexError):
            pass
    text = str(error.get("msg", "is not valid"))
    return text.removeprefix("Value error, ")


def errors_of(exc: ValidationError) -> Errors:
    """One message per field (the first), errors of the whole form under ``FORM_ERROR``."""
    found: Errors = {}
    for error in exc.errors():
        loc = error.get("loc") or ()
        field = str(loc[0]) if loc else FORM_ERROR
        found.setdefault(field, message(error))
    return found


def validate[M: BaseModel](model: type[M], data: dict[str, Any]) -> tuple[M | None, Errors]:
    """``model`` built from ``data``, or None and the errors by field."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, errors_of(exc)
