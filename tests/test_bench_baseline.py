"""The benchmark's raw-driver baseline answers exactly as the API does.

Data is written through the API; then the same reads go to the API and to the
baseline (``bench.baseline``) and must give the same status and the same JSON,
keys in the same order, and the same bytes. Runs on every enabled backend; on
the in-process Mongo double the baseline reads the API's own (in-memory) database.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image

from bench.baseline import SqliteReads, baseline_app, create_baseline_app
from tests.accounts import admin_token
from tests.conftest import ENABLED, BackendCase, http_client, running_app
from tests.helpers import new_post, new_user

pytestmark = pytest.mark.anyio

PATHS = [
    "/users/1",
    "/users/7",
    "/users/999999",
    "/posts",
    "/posts?limit=3",
    "/posts?limit=100",
    "/posts?limit=5&skip=20",
    "/posts?limit=10&skip=500",
]


async def seed(client: httpx.AsyncClient) -> None:
    """Users (one inactive, one with a picture, non-ASCII text) and 25 posts, some without tags."""
    authors = [
        await new_user(client, email=f"author{i}@example.com", name=f"Autor Nº{i} «é»", age=20 + i)
        for i in range(7)
    ]
    await new_user(client, email="idle@example.com", is_active=False, city="Zürich")
    # User 7 has a picture of their own (the others the default one).
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(picture, "PNG")
    files = {"picture": ("me.png", picture.getvalue(), "image/png")}
    assert (await client.put(f"/users/{authors[5]['id']}/picture", files=files)).status_code == 200
    for i in range(25):
        tags = [] if i % 4 == 0 else ["Zeta", f"tag{i % 5}", "alpha", f"ÉTÉ{i % 2}"]
        await new_post(
            client,
            authors[i % len(authors)]["id"],
            title=f"Post {i} — “quoted”",
            content=f'Line one\nline "two"\t\\ {i} ✓',
            published=i % 3 == 0,
            tags=tags,
        )


def ordered(response: httpx.Response) -> Any:
    """The JSON body with every object as a list of pairs, so key order counts."""
    return json.loads(response.content, object_pairs_hook=list)


ANONYMOUS = {"Authorization": ""}


def baseline_for(url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The baseline on the API's database, found through its environment variable."""
    monkeypatch.setenv("BENCH_BASELINE_URL", url)
    return create_baseline_app()


@pytest.mark.parametrize("case", ENABLED, ids=[case.id for case in ENABLED])
async def test_baseline_answers_as_the_api_does(
    case: BackendCase, database_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_urls[case.id]
    async with running_app(case, url) as api, http_client(api, await admin_token(api)) as client:
        await seed(client)
        baseline = baseline_for(url, monkeypatch)
        async with (
            LifespanManager(baseline),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=baseline), base_url="http://test"
            ) as raw,
        ):
            for path in PATHS:
                # The benchmark reads anonymously: the public view, as anyone gets it.
                expected, got = await client.get(path, headers=ANONYMOUS), await raw.get(path)
                assert got.status_code == expected.status_code, path
                assert ordered(got) == ordered(expected), path
                assert got.content == expected.content, path
                assert got.headers["content-type"] == expected.headers["content-type"]
            page = (await raw.get("/posts?limit=100")).json()
            # Published posts only (every third): an anonymous reader sees no drafts.
            assert page["total"] == 9 and len(page["items"]) == 9
            assert page["items"][1]["tags"] == ["alpha", "tag3", "zeta", "été1"]
            for path in ("/users/abc", "/users/0", "/users/1/posts", "/nowhere", "/"):
                assert (await raw.get(path)).status_code == 404, path
            assert (await raw.post("/users/1")).status_code == 404
            for query in ("limit=0", "limit=101", "limit=x", "skip=-1"):
                assert (await raw.get(f"/posts?{query}")).status_code == 422, query


async def test_a_page_costs_three_statements_at_any_size(database_urls: dict[str, str]) -> None:
    case = next(case for case in ENABLED if case.id == "sqlite")
    url = database_urls["sqlite"]
    async with running_app(case, url) as api, http_client(api, await admin_token(api)) as client:
        await seed(client)
    reads = SqliteReads(url)
    statements: list[str] = []
    async with LifespanManager(baseline_app(reads)) as manager:
        assert reads.conn is not None
        await reads.conn.set_trace_callback(statements.append)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
        ) as raw:
            for limit in (1, 25):
                statements.clear()
                assert (await raw.get(f"/posts?limit={limit}")).status_code == 200
                assert len(statements) == 3, statements


def test_the_factory_needs_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_BASELINE_URL", raising=False)
    with pytest.raises(RuntimeError, match="BENCH_BASELINE_URL"):
        create_baseline_app()
    monkeypatch.setenv("BENCH_BASELINE_URL", "oracle://db")
    with pytest.raises(ValueError, match="unsupported scheme"):
        create_baseline_app()
