"""Writing a post, and editing one (its author or an admin), publishing included."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth.policy import Action, authorize, draft_scope
from api.deps import StorageDep
from api.routers.params import ResourceId
from api.routing import Router
from storage.types import Post, PostCreate, PostUpdate
from web.forms import read, validate, words
from web.rendering import render
from web.session import PageCaller

router = Router(include_in_schema=False)


def _fields(form: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """What the person typed (to show again) and the body the models check."""
    values = {name: form.get(name, "") for name in ("title", "content", "tags", "published")}
    body = {
        "title": values["title"],
        "content": values["content"],
        "tags": words(values["tags"]),
        "published": bool(values["published"]),
    }
    return values, body


def _values_of(post: Post) -> dict[str, str]:
    return {
        "title": post.title,
        "content": post.content,
        "tags": " ".join(post.tags),
        "published": "on" if post.published else "",
    }


@router.get("/write")
async def write_form(request: Request, caller: PageCaller) -> HTMLResponse:
    """An empty post form."""
    authorize(caller, Action.WRITE_POST)
    return render(request, "editor.html", post=None)


@router.post("/write")
async def write(request: Request, storage: StorageDep, caller: PageCaller) -> Response:
    """Store a post written by the caller; to its page."""
    author = authorize(caller, Action.WRITE_POST)
    values, body = _fields(await read(request))
    data, errors = validate(PostCreate, {**body, "author_id": author.id})
    if data is None:
        return render(request, "editor.html", status=422, post=None, values=values, errors=errors)
    post = await storage.posts.create(data)
    return RedirectResponse(f"/p/{post.id}", status_code=303)


async def _changeable(storage: StorageDep, post_id: ResourceId, caller: PageCaller) -> Post:
    post = await storage.posts.get(post_id, draft_scope(caller))
    authorize(caller, Action.CHANGE_POST, owner=post.author.id)
    return post


@router.get("/p/{post_id}/edit")
async def edit_form(
    post_id: ResourceId, request: Request, storage: StorageDep, caller: PageCaller
) -> HTMLResponse:
    """The post's form, filled in."""
    post = await _changeable(storage, post_id, caller)
    return render(request, "editor.html", post=post, values=_values_of(post))


@router.post("/p/{post_id}/edit")
async def edit(
    post_id: ResourceId, request: Request, storage: StorageDep, caller: PageCaller
) -> Response:
    """Change the post (ticking "publish" publishes it); to its page."""
    post = await _changeable(storage, post_id, caller)
    values, body = _fields(await read(request))
    changes, errors = validate(PostUpdate, body)
    if changes is None:
        return render(request, "editor.html", status=422, post=post, values=values, errors=errors)
    await storage.posts.update(post_id, changes)
    return RedirectResponse(f"/p/{post_id}", status_code=303)
