"""Deep pages: what a page costs 100,000 rows into a list, with a cursor and with ``skip``.

For each order measured (by id, and by name: a text key with an id
tie-break), three requests run in a closed loop, each with ``count=false``
so that counting the list does not hide the paging cost:

- page 1;
- the page after row ``depth``, reached with the cursor the API itself
  returned there (keyset: the store seeks the ``(field, id)`` index);
- the same page reached with ``skip=depth`` (the store walks past ``depth`` rows).

The cursor's page should cost about what page 1 does (the goal is at most
1.2 times); the ``skip`` page shows what offsets cost at that depth.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx

from bench.load import closed_loop, run_k6

PAGE = 20
ORDERS = ("id", "name")


def _path(**params: Any) -> str:
    return "/users?" + urlencode({"limit": PAGE, "count": "false", **params})


def deep_page_paths(base_url: str, depth: int, sort: str) -> dict[str, str]:
    """The three requests for one order; the cursor comes from the API at ``depth``."""
    before = httpx.get(base_url + _path(sort=sort, skip=depth - PAGE), timeout=120)
    before.raise_for_status()
    cursor = before.json()["next_cursor"]
    if cursor is None:
        raise RuntimeError(f"the dataset has fewer than {depth + PAGE} users")
    return {
        "page_1": _path(sort=sort),
        "cursor": _path(sort=sort, after=cursor),
        "skip": _path(sort=sort, skip=depth),
    }


def deep_pages(
    base_url: str, depth: int, concurrency: int, seconds: float, env: dict[str, str]
) -> dict[str, Any]:
    """Per order: each request's figures and the ratios of the deep pages to page 1."""
    results: dict[str, Any] = {"depth": depth}
    for sort in ORDERS:
        runs: dict[str, Any] = {}
        for name, path in deep_page_paths(base_url, depth, sort).items():
            load = closed_loop(concurrency, seconds)
            runs[name] = run_k6(base_url, "page", load, {**env, "PAGE_PATH": path}).as_dict()
        first = runs["page_1"]["p50"]
        runs["cursor_vs_page_1"] = round(runs["cursor"]["p50"] / first, 2) if first else None
        runs["skip_vs_page_1"] = round(runs["skip"]["p50"] / first, 2) if first else None
        results[sort] = runs
    return results
