"""Who may do what: the one table every route's permission comes from.

Each action names who may perform it:

- ``ANYONE``: no token needed;
- ``SIGNED_IN``: any valid token;
- ``OWNER``: the owner of the record, or an admin (``owner`` is the user id
  that owns it: the user themself, a post's author, an order's buyer);
- ``ADMIN``: admins only.

A caller who may not act gets 401 without a valid token, else 403; for
records the caller may not even see (``hidden``), 404 as if it did not exist.
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import HTTPException

from storage.types import EVERY_DRAFT, PUBLISHED_ONLY, Credentials, DraftScope


class Who(StrEnum):
    ANYONE = "anyone"
    SIGNED_IN = "signed in"
    OWNER = "owner or admin"
    ADMIN = "admin"


class Action(StrEnum):
    SIGN_UP = "sign up"
    IMPORT_USERS = "create users in bulk"
    READ_ACCOUNT = "read a user's email and role"
    LIST_ACCOUNTS = "list every user's email and role"
    UPDATE_USER = "change a user"
    SET_ROLE_OR_ACTIVE = "set a user's role or is_active"
    SET_ANY_PASSWORD = "set another user's password"
    DELETE_USER = "delete a user"
    CHANGE_PICTURE = "set or remove a user's picture"
    WRITE_POST = "write a post"
    READ_DRAFT = "read an unpublished post"
    POST_AS_ANOTHER = "write a post as another user"
    CHANGE_POST = "change, publish or delete a post"
    WRITE_CATALOG = "create, change or delete categories and products"
    PLACE_ORDER = "place an order"
    ORDER_FOR_ANOTHER = "place an order for another user"
    SEE_ORDERS = "read or cancel orders"


PERMISSIONS: dict[Action, Who] = {
    Action.SIGN_UP: Who.ANYONE,
    Action.IMPORT_USERS: Who.ADMIN,
    Action.READ_ACCOUNT: Who.OWNER,
    Action.LIST_ACCOUNTS: Who.ADMIN,
    Action.UPDATE_USER: Who.OWNER,
    Action.SET_ROLE_OR_ACTIVE: Who.ADMIN,
    Action.SET_ANY_PASSWORD: Who.ADMIN,
    Action.DELETE_USER: Who.OWNER,
    Action.CHANGE_PICTURE: Who.OWNER,
    Action.WRITE_POST: Who.SIGNED_IN,
    Action.READ_DRAFT: Who.OWNER,
    Action.POST_AS_ANOTHER: Who.ADMIN,
    Action.CHANGE_POST: Who.OWNER,
    Action.WRITE_CATALOG: Who.ADMIN,
    Action.PLACE_ORDER: Who.SIGNED_IN,
    Action.ORDER_FOR_ANOTHER: Who.ADMIN,
    Action.SEE_ORDERS: Who.OWNER,
}
"""Every action's rule. ``tests/test_policy.py`` checks it as a table."""

# What a caller without access to a hidden record is told: that it does not exist.
HIDDEN = {Action.SEE_ORDERS: "Order not found"}

UNAUTHENTICATED = HTTPException(
    status_code=401,
    detail="Not authenticated: send a valid bearer token (POST /auth/token)",
    headers={"WWW-Authenticate": "Bearer"},
)


def allowed(caller: Credentials | None, action: Action, owner: int | None = None) -> bool:
    """Whether ``caller`` may perform ``action`` (on a record owned by ``owner``)."""
    who = PERMISSIONS[action]
    if who is Who.ANYONE:
        return True
    if caller is None:
        return False
    if caller.role == "admin":
        return True
    if who is Who.SIGNED_IN:
        return True
    if who is Who.OWNER:
        return owner is not None and owner == caller.id
    return False


def draft_scope(caller: Credentials | None) -> DraftScope:
    """The drafts ``caller`` may read, from ``Action.READ_DRAFT``'s rule: all, their own, or none.

    Every read of posts takes this scope (``storage.types.DraftScope``), so a
    draft is hidden the same way by id, in lists and their totals, in a user's
    posts, in tag counts and on the pages.
    """
    if allowed(caller, Action.READ_DRAFT):  # no owner named: everyone's drafts
        return EVERY_DRAFT
    if caller is not None and PERMISSIONS[Action.READ_DRAFT] is Who.OWNER:
        return DraftScope(author_id=caller.id)
    return PUBLISHED_ONLY


def authorize(
    caller: Credentials | None,
    action: Action,
    owner: int | None = None,
    *,
    hidden: str | None = None,
) -> Credentials:
    """Raise 401, 403 or (for ``hidden`` records) 404 unless ``caller`` may act; return them.

    ``hidden`` is the not-found message of a record the caller may not even know exists.
    """
    if allowed(caller, action, owner):
        return caller  # type: ignore[return-value]  # ANYONE passes None through
    if caller is None:
        raise UNAUTHENTICATED
    message = hidden or HIDDEN.get(action)
    if message is not None:
        raise HTTPException(status_code=404, detail=message)
    raise HTTPException(
        status_code=403, detail=f"Not allowed: only {PERMISSIONS[action]} may {action}"
    )
