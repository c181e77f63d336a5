"""Bodies a client can send but the service cannot echo, and the routes that take a body."""

from __future__ import annotations

import re
from typing import Any

from api.strict_json import MAX_DEPTH

# Each body is refused before validation; the second item is where ``loc`` points.
HOSTILE_BODIES: dict[str, tuple[bytes, list[Any]]] = {
    "nan": (b'{"name": NaN}', ["body", "name"]),
    "infinity": (b'{"name": Infinity}', ["body", "name"]),
    "minus_infinity": (b'{"name": -Infinity}', ["body", "name"]),
    "overflow": (b'{"name": 1e400}', ["body", "name"]),
    "negative_overflow": (b'{"name": -1e400}', ["body", "name"]),
    "long_integer": (b'{"name": ' + b"9" * 5000 + b"}", ["body", "name"]),
    "lone_surrogate_value": (b'{"name": "a\\ud800b"}', ["body", "name"]),
    "lone_low_surrogate_in_list": (b'{"tags": ["ok", "\\udc00"]}', ["body", "tags", 1]),
    "lone_surrogate_key": (b'{"\\ud800": 1}', ["body", "\\ud800"]),
    "deep_nesting": (b"[" * 100_000 + b"]" * 100_000, ["body"]),
    "nesting_one_too_deep": (
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        ["body", *[0] * MAX_DEPTH],
    ),
    "invalid_utf8": (b'{"name": "\xff\xfe"}', ["body"]),
    "utf8_encoded_surrogate": (b'{"name": "\xed\xa0\x80"}', ["body"]),
    "utf16": ('{"name": "Ada"}'.encode("utf-16"), ["body"]),
}


def body_operations(openapi_paths: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, path) of every documented operation that takes a JSON body, ids set to 1.

    (The login form, ``POST /auth/token``, is form-encoded as OAuth2 wants.)
    """
    operations = [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))  # every path parameter is an id
        for path, item in openapi_paths.items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]
    assert len(operations) >= 8, operations  # POST and PATCH of four resources, at least
    return operations
