"""What anyone can read: the home feed, a post, a tag's posts, a user's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.auth.policy import Action, allowed
from api.deps import StorageDep
from api.pages.paging import PAGE_SIZE, after_of, links
from api.pages.rendering import render
from api.pages.session import PageCaller, page_caller
from api.pagination import Cursors
from api.routers.params import ResourceId
from storage.errors import NotFound
from storage.types import PostQuery
from storage.types.text import fold
from storage.types.users import USERNAME_MAX

router = APIRouter(include_in_schema=False)


def _newest(request: Request, **filters: object) -> PostQuery:
    return PostQuery.model_validate(
        {
            "published": True,
            "sort": "-created_at",
            "limit": PAGE_SIZE,
            "count": False,
            "after": after_of(request),
            **filters,
        }
    )


def _cursors(request: Request) -> Cursors:
    cursors: Cursors = request.app.state.cursors
    return cursors


async def home(request: Request, storage: StorageDep) -> HTMLResponse:
    """The home page: published posts, newest first (``GET /`` for browsers)."""
    request.state.page = True
    await page_caller(request, storage)
    page = await _cursors(request).page(request, _newest(request), storage.posts.list)
    return render(request, "home.html", page=page, links=links(request, page))


@router.get("/p/{post_id}")
async def post_page(
    post_id: ResourceId, request: Request, storage: StorageDep, caller: PageCaller
) -> HTMLResponse:
    """One post; a draft only for its author and admins (404 for anyone else)."""
    post = await storage.posts.get(post_id)
    may_change = allowed(caller, Action.CHANGE_POST, owner=post.author.id)
    if not post.published and not may_change:
        raise NotFound("Post not found")
    return render(request, "post.html", post=post, may_change=may_change)


@router.get("/t/{tag}")
async def tag_page(
    tag: str, request: Request, storage: StorageDep, caller: PageCaller
) -> HTMLResponse:
    """Published posts with ``tag``, newest first."""
    query = _newest(request, tag=tag)
    page = await _cursors(request).page(request, query, storage.posts.list)
    return render(request, "tag.html", tag=query.tag, page=page, links=links(request, page))


@router.get("/u/{username}")
async def user_page(
    username: str, request: Request, storage: StorageDep, caller: PageCaller
) -> HTMLResponse:
    """A user: picture, name and published posts (drafts too, for them and admins)."""
    account = None
    if len(username) <= USERNAME_MAX:
        account = await storage.credentials.by_login(username)
    if account is None or fold(account.username) != fold(username.strip()):
        raise NotFound("User not found")
    user = await storage.users.get(account.id)
    may_change = allowed(caller, Action.CHANGE_POST, owner=user.id)
    query = _newest(request, published=None if may_change else True)
    page = await _cursors(request).page(
        request, query, lambda q: storage.posts.list_by_author(user.id, q)
    )
    return render(
        request,
        "user.html",
        user=user,
        page=page,
        links=links(request, page),
        may_change=may_change,
    )
