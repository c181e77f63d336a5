"""A draft is its author's and the admins': every read path agrees, on every backend.

Four readers (anonymous, another user, the author, an admin) read one scene
through each path that returns posts or counts them: by id, conditional
requests, lists and their totals, filters, search, cursors, a user's posts,
tag counts, the pages, and the writes that look a post up first. The
expectation comes from one place: ``READS_DRAFTS``, what the permission table
(``api.auth.policy``, ``Action.READ_DRAFT``) says for each reader.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from tests.accounts import token_for
from tests.conftest import http_client
from tests.helpers import Json, new_post, new_user
from tests.pages_helpers import browser, log_in

pytestmark = pytest.mark.anyio

READERS = ("anonymous", "other", "author", "admin")
READS_DRAFTS = {"anonymous": False, "other": False, "author": True, "admin": True}
"""Whether each reader sees the author's draft (Who.OWNER: the author and admins)."""


@dataclass
class Scene:
    """An author with a published post and a draft, another user, and their tokens."""

    author: Json
    other: Json
    published: Json
    draft: Json
    tokens: dict[str, str | None]

    def client(self, app: FastAPI, reader: str) -> httpx.AsyncClient:
        return http_client(app, self.tokens[reader])

    def expected_ids(self, reader: str) -> list[int]:
        ids = [self.published["id"]]
        return [*ids, self.draft["id"]] if READS_DRAFTS[reader] else ids


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient) -> Scene:
    author = await new_user(client, email="author@example.com")
    other = await new_user(client, email="other@example.com")
    published = await new_post(
        client,
        author["id"],
        title="Out in the open",
        content="Everyone may read this one.",
        tags=["shared"],
        published=True,
    )
    draft = await new_post(
        client,
        author["id"],
        title="Not yet, please",
        content="A zanzibarian secret in the making.",
        tags=["shared", "secret"],
    )
    tokens: dict[str, str | None] = {
        "anonymous": None,
        "other": await token_for(client, other["username"]),
        "author": await token_for(client, author["username"]),
        "admin": client.headers["Authorization"].removeprefix("Bearer "),
    }
    return Scene(author, other, published, draft, tokens)


@pytest.mark.parametrize("reader", READERS)
async def test_a_draft_by_id_and_conditionally(app: FastAPI, scene: Scene, reader: str) -> None:
    draft_id = scene.draft["id"]
    async with scene.client(app, reader) as http:
        response = await http.get(f"/posts/{draft_id}")
        if READS_DRAFTS[reader]:
            assert response.status_code == 200, response.text
            assert response.json()["title"] == "Not yet, please"
            assert "Authorization" in response.headers["Vary"]
        else:
            assert response.status_code == 404
            assert response.json() == {"detail": "Post not found"}
        # The author's current ETag must not turn a hidden draft into a 304.
        async with scene.client(app, "author") as author:
            etag = (await author.get(f"/posts/{draft_id}")).headers["ETag"]
        conditional = await http.get(f"/posts/{draft_id}", headers={"If-None-Match": etag})
        assert conditional.status_code == (304 if READS_DRAFTS[reader] else 404)


@pytest.mark.parametrize("reader", READERS)
async def test_lists_totals_filters_and_search(app: FastAPI, scene: Scene, reader: str) -> None:
    expected = scene.expected_ids(reader)
    drafts = [scene.draft["id"]] if READS_DRAFTS[reader] else []
    author_id = scene.author["id"]
    async with scene.client(app, reader) as http:
        for path, params, ids in [
            ("/posts", {}, expected),
            ("/posts", {"published": "false"}, drafts),
            ("/posts", {"published": "true"}, [scene.published["id"]]),
            ("/posts", {"tag": "secret"}, drafts),
            ("/posts", {"tag": "shared"}, expected),
            ("/posts", {"q": "zanzibarian"}, drafts),
            ("/posts", {"author_id": author_id}, expected),
            (f"/users/{author_id}/posts", {}, expected),
            (f"/users/{author_id}/posts", {"published": "false"}, drafts),
        ]:
            response = await http.get(path, params=params)
            assert response.status_code == 200, (path, params, response.text)
            page = response.json()
            assert [post["id"] for post in page["items"]] == ids, (path, params)
            assert page["total"] == len(ids), (path, params)


@pytest.mark.parametrize("reader", READERS)
async def test_cursor_pages_show_what_the_reader_may_see(
    app: FastAPI, scene: Scene, reader: str
) -> None:
    seen: list[int] = []
    async with scene.client(app, reader) as http:
        params: dict[str, object] = {"limit": 1, "count": "false"}
        while True:
            page = (await http.get("/posts", params=params)).json()
            seen += [post["id"] for post in page["items"]]
            if page["next_cursor"] is None:
                break
            params = {"limit": 1, "count": "false", "after": page["next_cursor"]}
    assert seen == scene.expected_ids(reader)


@pytest.mark.parametrize("reader", READERS)
async def test_tag_counts_count_what_the_reader_may_see(
    app: FastAPI, scene: Scene, reader: str
) -> None:
    async with scene.client(app, reader) as http:
        page = (await http.get("/tags")).json()
        by_post_count = (await http.get("/tags", params={"sort": "-post_count"})).json()
    counts = {tag["name"]: tag["post_count"] for tag in page["items"]}
    if READS_DRAFTS[reader]:
        assert counts == {"secret": 1, "shared": 2}
    else:
        assert counts == {"shared": 1}
    assert page["total"] == len(counts)
    assert by_post_count["total"] == len(counts)


@pytest.mark.parametrize("reader", READERS)
async def test_writes_do_not_tell_a_hidden_draft_exists(
    app: FastAPI, scene: Scene, reader: str
) -> None:
    draft_id, published_id = scene.draft["id"], scene.published["id"]
    may_change = reader in ("author", "admin")
    async with scene.client(app, reader) as http:
        change = await http.patch(f"/posts/{draft_id}", json={"title": "Changed title"})
        publish_other = await http.patch(f"/posts/{published_id}", json={"title": "Changed!"})
    if reader == "anonymous":
        assert change.status_code == publish_other.status_code == 401
    elif may_change:
        assert change.status_code == publish_other.status_code == 200
    else:
        # Another user: the draft does not exist for them; the published post is not theirs.
        assert change.status_code == 404
        assert publish_other.status_code == 403


@pytest.mark.parametrize("reader", READERS)
async def test_pages_agree(app: FastAPI, scene: Scene, reader: str) -> None:
    passwords = {"other": "correct horse battery", "author": "correct horse battery"}
    async with browser(app) as page_client:
        if reader in passwords:
            login = scene.other if reader == "other" else scene.author
            await log_in(page_client, login["username"], passwords[reader])
        elif reader == "admin":
            await log_in(page_client, "root", "admin password 1")
        post_page = await page_client.get(f"/p/{scene.draft['id']}")
        user_page = await page_client.get(f"/u/{scene.author['username']}")
        tag_page = await page_client.get("/t/secret")
        home = await page_client.get("/")
    assert post_page.status_code == (200 if READS_DRAFTS[reader] else 404)
    assert user_page.status_code == 200
    assert ("Not yet, please" in user_page.text) is READS_DRAFTS[reader]
    assert "Out in the open" in user_page.text
    # The feed and a tag's page list published posts only, whoever reads them.
    assert "Not yet, please" not in tag_page.text
    assert "Not yet, please" not in home.text
