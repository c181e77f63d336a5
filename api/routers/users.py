"""``/users``: sign up, read, update, delete, list and search; one's own account; posts, orders.

Anyone may sign up and read the public view of users (no email, no role);
a user and admins read and change the account itself (``api.auth.policy``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Query, Request, Response

from api.auth.caller import Caller, MaybeCaller
from api.auth.passwords import UNUSABLE
from api.auth.policy import Action, allowed, authorize, draft_scope
from api.conditional import IfMatch, tagged
from api.deps import PasswordsDep, StorageDep
from api.errors import responses
from api.pagination import CursorsDep
from api.routers.params import ResourceId
from api.routing import Router
from api.strict_route import StrictRoute
from storage.types import (
    Credentials,
    NewUser,
    Order,
    OrderQuery,
    Page,
    PasswordChange,
    Post,
    PostQuery,
    SignUp,
    User,
    UserBatch,
    UserPublic,
    UserQuery,
    UserUpdate,
)
from storage.types.users import NewPassword

# Every route here reads the database, which may be down (503 with Retry-After). Routes are
# tried in order: the reads by id come early, after the fixed paths they must not swallow.
router = Router(prefix="/users", tags=["users"], route_class=StrictRoute, responses=responses(503))


def view(user: User, caller: Credentials | None) -> User | UserPublic:
    """The user as ``caller`` may see them: with email and role for themself and admins."""
    return user if allowed(caller, Action.READ_ACCOUNT, owner=user.id) else user.public()


@router.get("/search", response_model=Page[User] | Page[UserPublic], responses=responses(401))
@router.get("", response_model=Page[User] | Page[UserPublic], responses=responses(401))
async def list_users(
    query: Annotated[UserQuery, Query()],
    storage: StorageDep,
    cursors: CursorsDep,
    request: Request,
    caller: MaybeCaller,
) -> Any:
    """List users, filtered, sorted and paginated (emails only for admins).

    ``/users/search`` is the same list, kept for clients that search by ``name`` or ``city``.
    """
    return await _listing(query, storage, cursors, request, caller)


async def _listing(
    query: UserQuery,
    storage: StorageDep,
    cursors: CursorsDep,
    request: Request,
    caller: Credentials | None,
) -> Page[User] | Page[UserPublic]:
    page = await cursors.page(request, query, storage.users.list)
    if allowed(caller, Action.LIST_ACCOUNTS):
        return page
    public = Page[UserPublic](
        items=[user.public() for user in page.items],
        total=page.total,
        skip=page.skip,
        limit=page.limit,
        next_cursor=page.next_cursor,
    )
    return public


@router.get("/me", responses=responses(401))
async def who_am_i(storage: StorageDep, caller: Caller, response: Response) -> User:
    """The caller's own account."""
    return tagged(await storage.users.get(caller.id), response)


@router.get("/{user_id}", response_model=User | UserPublic, responses=responses(304, 401, 404))
async def get_user(
    user_id: ResourceId,
    storage: StorageDep,
    response: Response,
    caller: MaybeCaller,
) -> Any:
    """Read one user: the public view, or the account for themself and admins (304 if current)."""
    response.headers["Vary"] = "Authorization"
    user = view(await storage.users.get(user_id), caller)
    return tagged(user, response)


@router.post("", status_code=201, responses=responses(409))
async def sign_up(
    data: SignUp, storage: StorageDep, passwords: PasswordsDep, response: Response
) -> User:
    """Create an account (role ``user``); log in with ``POST /auth/token``.

    409 names the email or username that is taken (in any letter case).
    """
    password_hash = await passwords.hash(data.password.get_secret_value())
    account = NewUser(**data.model_dump(exclude={"password"}), password_hash=password_hash)
    return tagged(await storage.users.create(account), response)


@router.post("/bulk", status_code=201, responses=responses(401, 403, 409))
async def import_users(
    data: UserBatch, storage: StorageDep, passwords: PasswordsDep, caller: Caller
) -> list[User]:
    """Create 1-1000 accounts, all or none (admins).

    An item without a password gets an account that cannot log in until an
    admin sets one. 409 lists every email and username that is taken or
    repeated in the batch (``errors``, each with its index); a 422 names each
    invalid item by index.
    """
    authorize(caller, Action.IMPORT_USERS)
    accounts = []
    for item in data:
        secret = item.password.get_secret_value() if item.password else None
        password_hash = await passwords.hash(secret) if secret else UNUSABLE
        accounts.append(
            NewUser(**item.model_dump(exclude={"password"}), password_hash=password_hash)
        )
    return await storage.users.create_many(accounts)


@router.post("/me/password", status_code=204, responses=responses(401, 403))
async def change_password(
    data: PasswordChange, storage: StorageDep, passwords: PasswordsDep, caller: Caller
) -> Response:
    """Change one's password (the current one is needed); every older token stops working."""
    if not await passwords.verify(data.current_password.get_secret_value(), caller.password_hash):
        raise HTTPException(status_code=403, detail="The current password is wrong")
    password_hash = await passwords.hash(data.new_password.get_secret_value())
    await storage.credentials.set_password(caller.id, password_hash)
    return Response(status_code=204)


@router.patch("/{user_id}", responses=responses(401, 403, 404, 409, 412))
async def update_user(
    user_id: ResourceId,
    changes: UserUpdate,
    storage: StorageDep,
    response: Response,
    caller: Caller,
    if_match: IfMatch = None,
) -> User:
    """Change the fields sent (oneself, or anyone for admins; ``role``/``is_active``: admins)."""
    authorize(caller, Action.UPDATE_USER, owner=user_id)
    if changes.model_fields_set & {"role", "is_active"}:
        authorize(caller, Action.SET_ROLE_OR_ACTIVE)
    return tagged(await storage.users.update(user_id, changes, if_match), response)


@router.post("/{user_id}/password", status_code=204, responses=responses(401, 403, 404))
async def set_password(
    user_id: ResourceId,
    data: NewPassword,
    storage: StorageDep,
    passwords: PasswordsDep,
    caller: Caller,
) -> Response:
    """Set a user's password (admins); the user's older tokens stop working."""
    authorize(caller, Action.SET_ANY_PASSWORD)
    password_hash = await passwords.hash(data.new_password.get_secret_value())
    await storage.credentials.set_password(user_id, password_hash)
    return Response(status_code=204)


@router.delete("/{user_id}", status_code=204, responses=responses(401, 403, 404, 412))
async def delete_user(
    user_id: ResourceId, storage: StorageDep, caller: Caller, if_match: IfMatch = None
) -> Response:
    """Delete a user and all of their posts (their orders stay, as history)."""
    authorize(caller, Action.DELETE_USER, owner=user_id)
    await storage.users.delete(user_id, if_match)
    return Response(status_code=204)


@router.get("/{user_id}/posts", responses=responses(401, 404))
async def list_user_posts(
    user_id: ResourceId,
    query: Annotated[PostQuery, Query()],
    storage: StorageDep,
    cursors: CursorsDep,
    request: Request,
    response: Response,
    caller: MaybeCaller,
) -> Page[Post]:
    """A user's posts (an empty page if they have none); ``author_id`` is ignored here.

    Their drafts are listed for them and admins only.
    """
    response.headers["Vary"] = "Authorization"
    drafts = draft_scope(caller)
    return await cursors.page(
        request, query, lambda q: storage.posts.list_by_author(user_id, q, drafts)
    )


@router.get("/{user_id}/orders", responses=responses(401, 404))
async def list_user_orders(
    user_id: ResourceId,
    query: Annotated[OrderQuery, Query()],
    storage: StorageDep,
    cursors: CursorsDep,
    request: Request,
    caller: Caller,
) -> Page[Order]:
    """A user's orders, newest first: for the user and admins (404 for anyone else)."""
    authorize(caller, Action.SEE_ORDERS, owner=user_id, hidden="User not found")
    return await cursors.page(request, query, lambda q: storage.orders.list_by_user(user_id, q))
