"""No N+1: a page of posts with authors and tags costs the same round trips at any size.

Counted on every backend: every SQL statement sent, every command PyMongo
sends (through its command monitoring) to the Mongo server, stand-in or real.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from bench.roundtrips import counting_round_trips
from tests.conftest import ENABLED
from tests.helpers import new_post, new_user

pytestmark = pytest.mark.anyio

COUNTED = ENABLED


async def seed(client: httpx.AsyncClient, posts: int) -> None:
    authors = [await new_user(client, email=f"author{i}@example.com") for i in range(7)]
    for i in range(posts):
        tags = [f"tag{i % 5}", f"tag{i % 11}", "common"]
        await new_post(client, authors[i % len(authors)]["id"], tags=tags)


@pytest.mark.parametrize("backend", COUNTED, indirect=True, ids=[c.id for c in COUNTED])
async def test_post_page_round_trips_do_not_grow_with_page_size(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed(client, posts=120)
    counts = {}
    for limit in (10, 100):
        with counting_round_trips(app.state.storage) as sent:
            response = await client.get("/posts", params={"limit": limit, "tag": "common"})
        assert response.status_code == 200
        page = response.json()["items"]
        assert len(page) == limit
        assert all(len(p["tags"]) >= 2 and p["author"]["username"] for p in page)
        counts[limit] = len(sent)
    assert counts[10] == counts[100], counts
    assert 1 <= counts[10] <= 4, counts
