"""Accounts, login and who may change what, on every backend.

What an outsider would try (OWASP API Top 10): another user's token on every
write route (broken object level authorization), a user's token on admin
routes (function level), fields a client must not set (mass assignment),
forged and stale tokens, telling accounts apart by the login's answer or its
time, hammering the login (429), and passwords leaking into any response or
log line.
"""

from __future__ import annotations

import logging
import statistics
import time
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from api.observability.logs import SERVICE_LOGGERS
from api.settings import DEVELOPMENT_SECRET_KEY
from tests.accounts import ADMIN, PASSWORD, bearer, sign_up_body, token_for
from tests.helpers import created, new_post

pytestmark = pytest.mark.anyio


async def account(client: httpx.AsyncClient, name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A signed-up user (through the public sign-up) and their auth header."""
    user = await created(client, "/users", sign_up_body(f"{name}@example.com", name=name.title()))
    return user, bearer(await token_for(client, name))


async def test_sign_up_log_in_and_read_oneself(anonymous: httpx.AsyncClient) -> None:
    user = await created(anonymous, "/users", sign_up_body("ada@example.com"))
    assert user["username"] == "ada" and user["role"] == "user" and "password" not in user
    token = await token_for(anonymous, "ada")
    me = await anonymous.get("/users/me", headers=bearer(token))
    assert me.json() == user
    # The email is accepted as the login too, in any case.
    assert await token_for(anonymous, "ADA@example.com")
    login = await anonymous.post("/auth/token", data={"username": "ada", "password": PASSWORD})
    body = login.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 30 * 60
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(user["id"]) and claims["role"] == "user"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "has space"}, "username"),
        ({"password": "pw5ch"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"password": "ada@example.com"}, "password"),
        ({"username": "adalove", "password": "ADALOVE"}, "password"),
        ({"role": "admin"}, "role"),
        ({"is_active": False}, "is_active"),
        ({"id": 99}, "id"),
    ],
)
async def test_sign_up_refuses_bad_and_forbidden_fields(
    anonymous: httpx.AsyncClient, change: dict[str, Any], reason: str
) -> None:
    body = {**sign_up_body("ada@example.com"), **change}
    response = await anonymous.post("/users", json=body)
    assert response.status_code == 422, response.text
    assert reason in response.text
    if "password" in change:
        echoed = response.text.replace(f'"email":"{body["email"]}"', "")
        assert change["password"] not in echoed  # never echoed


async def test_duplicate_username_or_email_is_409_naming_which(
    anonymous: httpx.AsyncClient,
) -> None:
    await created(anonymous, "/users", sign_up_body("ada@example.com"))
    same_name = sign_up_body("other@example.com", username="ADA")
    response = await anonymous.post("/users", json=same_name)
    assert (response.status_code, response.json()) == (409, {"detail": "Username already taken"})
    same_email = sign_up_body("ADA@EXAMPLE.COM", username="someone")
    response = await anonymous.post("/users", json=same_email)
    assert (response.status_code, response.json()) == (409, {"detail": "Email already registered"})


async def test_wrong_password_unknown_user_and_deactivated_look_alike(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    user, _ = await account(anonymous, "ada")
    await client.patch(f"/users/{user['id']}", json={"is_active": False})
    answers = []
    for login, password in (("ada", "wrong password"), ("nobody", PASSWORD), ("ada", PASSWORD)):
        response = await anonymous.post(
            "/auth/token", data={"username": login, "password": password}
        )
        answers.append(
            (response.status_code, response.json(), response.headers["www-authenticate"])
        )
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][:2] == (401, {"detail": "Incorrect username or password"})


async def test_unknown_accounts_take_as_long_as_wrong_passwords(app: FastAPI) -> None:
    # The production cost, so that a skipped hash would show; medians of many tries.
    from api.auth.passwords import Passwords

    app.state.passwords = Passwords(memory_kib=19_456, time_cost=2)
    app.state.login_throttle.max_failures = 10_000
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as anonymous:
        await created(anonymous, "/users", sign_up_body("ada@example.com"))

        async def median(login: str) -> float:
            times = []
            for _ in range(9):
                started = time.perf_counter()
                response = await anonymous.post(
                    "/auth/token", data={"username": login, "password": "wrong password"}
                )
                times.append(time.perf_counter() - started)
                assert response.status_code == 401
            return statistics.median(times)

        known, unknown = await median("ada"), await median("nobody-at-all")
    # Both verify one Argon2id hash: equal within noise, never the hash's cost apart.
    assert 0.5 < unknown / known < 2.0, (known, unknown)


async def test_repeated_failures_are_throttled_with_retry_after(
    anonymous: httpx.AsyncClient,
) -> None:
    await created(anonymous, "/users", sign_up_body("ada@example.com"))
    wrong = {"username": "ada", "password": "wrong password"}
    statuses = [(await anonymous.post("/auth/token", data=wrong)).status_code for _ in range(5)]
    assert statuses == [401] * 5
    blocked = await anonymous.post("/auth/token", data={"username": "ADA", "password": PASSWORD})
    assert blocked.status_code == 429  # even with the right password, for a while
    assert int(blocked.headers["retry-after"]) > 0
    # Another account from the same address still may, up to the address's own limit.
    await created(anonymous, "/users", sign_up_body("bob@example.com"))
    assert await token_for(anonymous, "bob")


async def test_a_user_can_change_only_their_own_things(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    ada, ada_auth = await account(anonymous, "ada")
    bob, bob_auth = await account(anonymous, "bob")
    # Published: Bob may read it, so changing it is a 403 (a draft is a 404: tests/test_drafts.py).
    post = await new_post(client, ada["id"], published=True)
    lamp = await created(client, "/products", {"name": "Lamp", "price": 5, "stock": 9})
    order = await created(
        client,
        "/orders",
        {"user_id": ada["id"], "items": [{"product_id": lamp["id"], "quantity": 1}]},
    )
    # Bob on Ada's records: forbidden, or not even found for her orders.
    ghost_post = {"title": "Ghost writer", "content": "x" * 20, "author_id": ada["id"]}
    ghost_order = {"user_id": ada["id"], "items": [{"product_id": lamp["id"], "quantity": 1}]}
    tries = [
        ("PATCH", f"/posts/{post['id']}", {"title": "Defaced title"}, 403),
        ("POST", f"/posts/{post['id']}/publish", None, 403),
        ("DELETE", f"/posts/{post['id']}", None, 403),
        ("PATCH", f"/users/{ada['id']}", {"name": "Not Ada"}, 403),
        ("DELETE", f"/users/{ada['id']}", None, 403),
        ("POST", "/posts", ghost_post, 403),
        ("POST", "/orders", ghost_order, 403),
        ("GET", f"/orders/{order['id']}", None, 404),
        ("POST", f"/orders/{order['id']}/cancel", None, 404),
        ("GET", f"/users/{ada['id']}/orders", None, 404),
        ("POST", f"/users/{ada['id']}/password", {"new_password": "taken over!"}, 403),
    ]  # fmt: skip
    for method, path, body, status in tries:
        response = await anonymous.request(method, path, json=body, headers=bob_auth)
        assert response.status_code == status, (method, path, response.text)
    # Without a token, every write is a 401.
    for method, path, body, _ in tries:
        if method != "GET":
            response = await anonymous.request(method, path, json=body)
            assert response.status_code == 401, (method, path)
    # Nothing changed; Ada herself may.
    assert (await anonymous.get(f"/posts/{post['id']}")).json()["title"] == post["title"]
    assert (await anonymous.get(f"/orders/{order['id']}", headers=ada_auth)).status_code == 200
    mine = await anonymous.patch(
        f"/posts/{post['id']}", json={"title": "Ada's edit"}, headers=ada_auth
    )
    assert mine.status_code == 200
    own = await anonymous.post(
        "/posts", json={"title": "By myself", "content": "y" * 20}, headers=bob_auth
    )
    assert own.status_code == 201 and own.json()["author"]["id"] == bob["id"]


async def test_catalog_and_bulk_are_for_admins(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    _, user_auth = await account(anonymous, "ada")
    books = await created(client, "/categories", {"name": "Books"})
    lamp = await created(client, "/products", {"name": "Lamp", "price": 5})
    mass = {"username": "mass", "name": "Mass", "email": "m@example.com", "age": 1}
    tries = [
        ("POST", "/categories", {"name": "Mine"}),
        ("PATCH", f"/categories/{books['id']}", {"name": "Mine"}),
        ("DELETE", f"/categories/{books['id']}", None),
        ("POST", "/products", {"name": "Mine", "price": 1}),
        ("POST", "/products/bulk", [{"name": "Mine", "price": 1}]),
        ("PATCH", f"/products/{lamp['id']}", {"price": 0.01}),
        ("DELETE", f"/products/{lamp['id']}", None),
        ("POST", f"/products/{lamp['id']}/restore", None),
        ("POST", "/users/bulk", [mass]),
    ]  # fmt: skip
    for method, path, body in tries:
        response = await anonymous.request(method, path, json=body, headers=user_auth)
        assert response.status_code == 403, (method, path, response.text)
        assert "admin" in response.json()["detail"]


async def test_mass_assignment_is_refused_or_admin_only(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    ada, ada_auth = await account(anonymous, "ada")
    for field, value in (("role", "admin"), ("is_active", False)):
        response = await anonymous.patch(
            f"/users/{ada['id']}", json={field: value}, headers=ada_auth
        )
        assert response.status_code == 403, response.text
    for field, value in (("id", 7), ("created_at", "2020-01-01T00:00:00Z"), ("password", "x" * 10)):
        response = await anonymous.patch(
            f"/users/{ada['id']}", json={field: value}, headers=ada_auth
        )
        assert response.status_code == 422, (field, response.text)
    post = await new_post(client, ada["id"])
    for field, value in (("author_id", 1), ("id", 9), ("created_at", "2020-01-01T00:00:00Z")):
        response = await anonymous.patch(
            f"/posts/{post['id']}", json={field: value}, headers=ada_auth
        )
        assert response.status_code == 422, (field, response.text)
    # An admin promotes; the promoted user's next token says so.
    promoted = await client.patch(f"/users/{ada['id']}", json={"role": "admin"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    claims = jwt.decode(await token_for(anonymous, "ada"), options={"verify_signature": False})
    assert claims["role"] == "admin"


def forged(
    claims: dict[str, Any], key: str = DEVELOPMENT_SECRET_KEY, algorithm: str = "HS256"
) -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


async def test_forged_expired_and_foreign_tokens_are_401(anonymous: httpx.AsyncClient) -> None:
    ada, _ = await account(anonymous, "ada")
    now = int(time.time())
    good = {
        "sub": str(ada["id"]),
        "role": "user",
        "ver": 0,
        "typ": "access",
        "jti": "a-token-id",
        "iat": now,
        "exp": now + 600,
    }
    unsigned = jwt.encode({**good, "role": "admin"}, key="", algorithm="none")
    tokens = {
        "alg none": unsigned,
        "wrong key": forged(good, key="another key of thirty-two characters!!"),
        "expired": forged({**good, "iat": now - 7200, "exp": now - 3600}),
        "wrong type": forged({**good, "typ": "refresh"}),
        "no expiry": forged({k: v for k, v in good.items() if k != "exp"}),
        "no token id": forged({k: v for k, v in good.items() if k != "jti"}),
        "garbage": "not.a.token",
        "role claimed": forged({**good, "sub": "999999"}),
    }
    for name, token in tokens.items():
        response = await anonymous.get("/users/me", headers=bearer(token))
        assert response.status_code == 401, name
    assert (await anonymous.get("/users/me", headers=bearer(forged(good)))).status_code == 200


async def test_a_password_change_or_deactivation_ends_older_tokens(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    ada, old = await account(anonymous, "ada")
    change = {"current_password": "not it", "new_password": "a brand new secret"}
    assert (await anonymous.post("/users/me/password", json=change, headers=old)).status_code == 403
    change["current_password"] = PASSWORD
    assert (await anonymous.post("/users/me/password", json=change, headers=old)).status_code == 204
    assert (await anonymous.get("/users/me", headers=old)).status_code == 401
    new = bearer(await token_for(anonymous, "ada", "a brand new secret"))
    assert (await anonymous.get("/users/me", headers=new)).status_code == 200
    await client.patch(f"/users/{ada['id']}", json={"is_active": False})
    assert (await anonymous.get("/users/me", headers=new)).status_code == 401


async def test_emails_are_for_the_user_and_admins(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    ada, ada_auth = await account(anonymous, "ada")
    _, bob_auth = await account(anonymous, "bob")
    await new_post(client, ada["id"], published=True)
    for headers in ({}, bob_auth):
        public = (await anonymous.get(f"/users/{ada['id']}", headers=headers)).json()
        assert "email" not in public and "role" not in public and public["username"] == "ada"
        listing = (await anonymous.get("/users", headers=headers)).json()["items"]
        assert all("email" not in user for user in listing)
        author = (await anonymous.get("/posts", headers=headers)).json()["items"][0]["author"]
        assert author == {
            "id": ada["id"],
            "username": "ada",
            "name": "Ada",
            "image_url": "/pictures/default/256",
        }
    assert (await anonymous.get(f"/users/{ada['id']}", headers=ada_auth)).json()["email"]
    assert (await client.get(f"/users/{ada['id']}")).json()["email"] == "ada@example.com"
    assert (await anonymous.get("/users/me")).status_code == 401


async def test_no_password_in_any_response_or_log_line(
    anonymous: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "my very own secret phrase"
    # What ``serve`` logs at LOG_LEVEL=debug: the service's loggers at DEBUG,
    # libraries (SQLAlchemy, PyMongo) from WARNING through the root logger.
    caplog.set_level(logging.WARNING)
    for name in SERVICE_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    bodies = []
    body = sign_up_body("ada@example.com", password=secret)
    bodies.append((await anonymous.post("/users", json=body)).text)
    bodies.append((await anonymous.post("/users", json={**body, "age": -1})).text)  # a 422
    bodies.append((await anonymous.post("/users", json=body)).text)  # a 409
    login = {"username": "ada", "password": secret}
    token = (await anonymous.post("/auth/token", data=login)).json()["access_token"]
    bodies.append(
        (await anonymous.post("/auth/token", data={**login, "password": secret + "!"})).text
    )
    change = {"current_password": secret, "new_password": secret + " two"}
    bodies.append(
        (
            await anonymous.post(
                "/users/me/password", json={**change, "new_password": "x"}, headers=bearer(token)
            )
        ).text
    )
    bodies.append((await anonymous.get("/users/me", headers=bearer(token))).text)
    assert "POST /auth/token 401" in caplog.text  # the access log was captured
    for text in [*bodies, caplog.text]:
        assert secret not in text
        assert "argon2" not in text  # nor its hash


async def test_admin_may_do_everything_and_is_created_by_the_cli(client: httpx.AsyncClient) -> None:
    me = (await client.get("/users/me")).json()
    assert (me["username"], me["role"]) == (ADMIN["username"], "admin")
