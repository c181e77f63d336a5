"""The permission table, as a table: every action, caller and ownership (``api.auth.policy``).

The expected rule of each action is written out here a second time on
purpose: changing who may do something is a decision this file records.
"""

from __future__ import annotations

import pytest

from api.auth.policy import PERMISSIONS, Action, Who, allowed, draft_scope
from storage.types import EVERY_DRAFT, PUBLISHED_ONLY, Credentials, DraftScope

EXPECTED = {
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
# Who may, by rule: (no token, a user acting on their own record, on another's, an admin).
ALLOWS = {
    Who.ANYONE: (True, True, True, True),
    Who.SIGNED_IN: (False, True, True, True),
    Who.OWNER: (False, True, False, True),
    Who.ADMIN: (False, False, False, True),
}


def _account(user_id: int, role: str) -> Credentials:
    return Credentials(
        id=user_id, username=f"u{user_id}", role=role, is_active=True,  # type: ignore[arg-type]
        password_hash="!", token_version=0,
    )  # fmt: skip


def test_every_action_has_its_recorded_rule() -> None:
    assert PERMISSIONS == EXPECTED


@pytest.mark.parametrize("action", list(Action), ids=[action.name for action in Action])
def test_who_may(action: Action) -> None:
    user, admin = _account(7, "user"), _account(1, "admin")
    found = (
        allowed(None, action, owner=7),
        allowed(user, action, owner=7),
        allowed(user, action, owner=8),
        allowed(admin, action, owner=7),
    )
    assert found == ALLOWS[EXPECTED[action]]


def test_the_draft_scope_follows_the_table() -> None:
    """Who reads which drafts comes from ``Action.READ_DRAFT``'s rule (owner or admin)."""
    user, admin = _account(7, "user"), _account(1, "admin")
    assert draft_scope(None) == PUBLISHED_ONLY
    assert draft_scope(user) == DraftScope(author_id=7)
    assert draft_scope(admin) == EVERY_DRAFT
