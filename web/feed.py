"""What anyone can read: the home feed, a post, a tag's posts, a user's page."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.auth.policy import Action, allowed, draft_scope
from api.deps import StorageDep
from api.pagination import Cursors
from api.routers.params import ResourceId
from api.routing import Router
from storage.errors import NotFound
from storage.types import PostQuery
from storage.types.text import fold
from storage.types.users import USERNAME_MAX
from web.paging import PAGE_SIZE, after_of, links
from web.rendering import render
from web.session import PageCaller, page_caller

_USERNAME = re.compile(rf"[\w.-]{{1,{USERNAME_MAX}}}")

router = Router(include_in_schema=False)


def _newest(request: Request, **filters: object) -> PostQuery:
    """Published posts (unless a filter says otherwise), newest first, from ``after``.

    A filter that cannot be (a tag with white space or NUL) lists nothing: 404.
    """
    query = {"published": True, "sort": "-created_at", "limit": PAGE_SIZE, "count": False}
    try:
        return PostQuery.model_validate({**query, "after": after_of(request), **filters})
    except ValidationError:
        raise NotFound("Nothing is listed here") from None


def _cursors(request: Request) -> Cursors:
    cursors: Cursors = request.app.state.cursors
    return cursors


async def home(request: Request, storage: StorageDep) -> HTMLResponse:
    """The home page: published posts, newest first (``GET /`` for browsers)."""
    request.state.page = True
    drafts = draft_scope(await page_caller(request, storage))
    page = await _cursors(request).page(
        request, _newest(request), lambda q: storage.posts.list(q, drafts)
    )
    return render(request, "home.html", page=page, links=links(request, page))


@router.get("/p/{post_id}")
async def post_page(
    post_id: ResourceId, request: Request, storage: StorageDep, caller: PageCaller
) -> HTMLResponse:
    """One post; a draft only for its author and admins (404 for anyone else)."""
    post = await storage.posts.get(post_id, draft_scope(caller))
    may_change = allowed(caller, Action.CHANGE_POST, owner=post.author.id)
    return render(request, "post.html", post=post, may_change=may_change)


@router.get("/t/{tag}")
async def tag_page(
    tag: str, request: Request, storage: StorageDep, caller: PageCaller
) -> HTMLResponse:
    """Published posts with ``tag``, newest first."""
    query = _newest(request, tag=tag)
    drafts = draft_scope(caller)
    page = await _cursors(request).page(request, query, lambda q: storage.posts.list(q, drafts))
    return render(request, "tag.html", tag=query.tag, page=page, links=links(request, page))


@router.get("/u/{username}")
async def user_page(
    username: str, request: Request, storage: StorageDep, caller: PageCaller
) -> HTMLResponse:
    """A user: picture, name and published posts (drafts too, for them and admins)."""
    account = None
    if _USERNAME.fullmatch(username):
        account = await storage.credentials.by_login(username)
    if account is None or fold(account.username) != fold(username.strip()):
        raise NotFound("User not found")
    user = await storage.users.get(account.id)
    may_change = allowed(caller, Action.CHANGE_POST, owner=user.id)
    # Drafts too, where the policy lets the caller read them (their own; admins: all).
    query, drafts = _newest(request, published=None), draft_scope(caller)
    page = await _cursors(request).page(
        request, query, lambda q: storage.posts.list_by_author(user.id, q, drafts)
    )
    return render(
        request,
        "user.html",
        user=user,
        page=page,
        links=links(request, page),
        may_change=may_change,
    )
