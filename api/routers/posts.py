"""``/posts``: posts with their author embedded and their tags."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response

from api.auth.caller import Caller, MaybeCaller
from api.auth.policy import Action, authorize, draft_scope
from api.conditional import IfMatch, tagged
from api.deps import StorageDep
from api.errors import responses
from api.pagination import CursorsDep
from api.routers.params import ResourceId
from api.routing import Router
from api.strict_route import StrictRoute
from storage.types import Credentials, Page, Post, PostCreate, PostQuery, PostUpdate

# Every route here reads the database, which may be down (503 with Retry-After).
router = Router(prefix="/posts", tags=["posts"], route_class=StrictRoute, responses=responses(503))


@router.post("", status_code=201, responses=responses(401, 403, 404))
async def create_post(
    data: PostCreate, storage: StorageDep, response: Response, caller: Caller
) -> Post:
    """Write a post as oneself (admins: as anyone); tags are case-folded, de-duplicated, sorted.

    ``author_id`` may be left out: it is the caller.
    """
    authorize(caller, Action.WRITE_POST)
    author_id = data.author_id or caller.id
    if author_id != caller.id:
        authorize(caller, Action.POST_AS_ANOTHER)
    written = data.model_copy(update={"author_id": author_id})
    return tagged(await storage.posts.create(written), response)


@router.get("", responses=responses(401))
async def list_posts(
    query: Annotated[PostQuery, Query()],
    storage: StorageDep,
    cursors: CursorsDep,
    request: Request,
    response: Response,
    caller: MaybeCaller,
) -> Page[Post]:
    """List posts, filtered by ``published``, ``author_id``, ``tag`` or text ``q``.

    Drafts are listed (and counted) for their author and admins only.
    """
    response.headers["Vary"] = "Authorization"
    drafts = draft_scope(caller)
    return await cursors.page(request, query, lambda q: storage.posts.list(q, drafts))


@router.get("/{post_id}", response_model=Post, responses=responses(304, 401, 404))
async def get_post(
    post_id: ResourceId,
    storage: StorageDep,
    response: Response,
    caller: MaybeCaller,
) -> Any:
    """Read one post with its author (304 if ``If-None-Match`` names its current ETag).

    A draft is 404 for anyone but its author and admins.
    """
    response.headers["Vary"] = "Authorization"
    post = await storage.posts.get(post_id, draft_scope(caller))
    return tagged(post, response)


@router.patch("/{post_id}", responses=responses(401, 403, 404, 412))
async def update_post(
    post_id: ResourceId,
    changes: PostUpdate,
    storage: StorageDep,
    response: Response,
    caller: Caller,
    if_match: IfMatch = None,
) -> Post:
    """Change the fields sent (its author or an admin); ``tags``, when sent, replaces the list."""
    await _may_change(storage, post_id, caller)
    return tagged(await storage.posts.update(post_id, changes, if_match), response)


@router.post("/{post_id}/publish", responses=responses(401, 403, 404))
async def publish_post(
    post_id: ResourceId, storage: StorageDep, response: Response, caller: Caller
) -> Post:
    """Publish a post (its author or an admin); publishing it again changes nothing."""
    await _may_change(storage, post_id, caller)
    return tagged(await storage.posts.publish(post_id), response)


@router.delete("/{post_id}", status_code=204, responses=responses(401, 403, 404, 412))
async def delete_post(
    post_id: ResourceId, storage: StorageDep, caller: Caller, if_match: IfMatch = None
) -> Response:
    """Delete a post (its author or an admin)."""
    await _may_change(storage, post_id, caller)
    await storage.posts.delete(post_id, if_match)
    return Response(status_code=204)


async def _may_change(storage: StorageDep, post_id: int, caller: Credentials) -> None:
    # A post's author never changes, so checking before the write is enough. A
    # draft the caller may not read is 404, as on every read: its existence is not told.
    post = await storage.posts.get(post_id, draft_scope(caller))
    authorize(caller, Action.CHANGE_POST, owner=post.author.id)
