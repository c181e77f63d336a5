"""The web pages on every backend, in process: status, markup and the rules behind them."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from storage.errors import Unavailable
from tests.accounts import ADMIN, bearer
from tests.helpers import new_post, new_user
from tests.pages_helpers import HTML, browser, csrf_token, log_in, sign_up, submit, text_of

pytestmark = pytest.mark.anyio

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


async def test_root_serves_json_to_api_clients_and_the_home_page_to_browsers(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    for accept in (
        None,
        "*/*",
        "application/json",
        "application/json, text/html;q=0.5",
        "text/html;q=NaN",
        "text/html;q=1e999",
    ):
        headers = {"Accept": accept} if accept else {}
        response = await anonymous.get("/", headers=headers)
        assert response.status_code == 200
        assert response.json() == {
            "message": "API is running",
            "backend": app.state.storage.backend,
        }
        assert response.headers["vary"] == "Accept"
    page = await anonymous.get("/", headers=HTML)
    assert page.status_code == 200 and page.headers["vary"] == "Accept"
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Latest posts</h1>" in page.text
    assert "No posts have been published yet." in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"


async def test_feed_is_newest_first_with_next_and_previous_links(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ada = await new_user(client, name="Ada Lovelace")
    for number in range(12):
        await new_post(client, ada["id"], title=f"Post number {number:02}", published=True)
    await new_post(client, ada["id"], title="A draft nobody sees")
    async with browser(app) as web:
        first = await web.get("/")
        titles = re.findall(r"Post number (\d\d)", first.text)
        assert titles == [f"{n:02}" for n in range(11, 1, -1)]
        assert "A draft nobody sees" not in first.text
        assert 'rel="prev"' not in first.text
        assert "Ada Lovelace" in first.text and 'href="/u/ada"' in first.text
        assert re.search(
            r'<time datetime="\d{4}-\d\d-\d\dT[\d:]+Z">\d{1,2} \w{3} \d{4}</time>', first.text
        )
        following = re.search(r'href="([^"]+)" rel="next"', first.text)
        assert following
        second = await web.get(following.group(1).replace("&amp;", "&"))
        assert re.findall(r"Post number (\d\d)", second.text) == ["01", "00"]
        assert 'rel="next"' not in second.text
        back = re.search(r'href="([^"]+)" rel="prev"', second.text)
        assert back
        again = await web.get(back.group(1).replace("&amp;", "&"))
        assert re.findall(r"Post number (\d\d)", again.text) == titles
        forged = await web.get("/?after=not-a-cursor")
        assert forged.status_code == 404 and "Page not found" in forged.text


async def test_post_tag_and_user_pages(app: FastAPI, client: httpx.AsyncClient) -> None:
    ada = await new_user(client, name="Ada Lovelace", city="London")
    await new_user(client, email="quiet@example.com", name="Quiet One")
    post = await new_post(
        client,
        ada["id"],
        title="Notes on the engine",
        tags=["math", "history"],
        published=True,
        content="First paragraph here.\n\nSecond paragraph here.",
    )
    draft = await new_post(client, ada["id"], title="Unfinished thoughts")
    async with browser(app) as web:
        page = await web.get(f"/p/{post['id']}")
        assert page.status_code == 200
        assert "<h1>Notes on the engine</h1>" in page.text
        assert "<p>Second paragraph here.</p>" in page.text
        assert 'href="/t/history"' in page.text and 'href="/t/math"' in page.text
        # A 32 px avatar fetches the 64 px image, not the 256 px one.
        assert 'src="/pictures/default/64"' in page.text
        assert "Edit this post" not in page.text
        tagged = await web.get("/t/math")
        assert tagged.status_code == 200 and "Notes on the engine" in tagged.text
        assert "No published post carries this tag." in (await web.get("/t/nothing")).text
        user = await web.get("/u/ADA")
        assert user.status_code == 200
        assert '<h1 id="profile-name">Ada Lovelace</h1>' in user.text and "London" in user.text
        assert "Notes on the engine" in user.text and "Unfinished thoughts" not in user.text
        quiet = await web.get("/u/quiet")
        assert "Quiet One has not published anything yet." in quiet.text
        for missing in (
            "/u/nobody",
            "/u/" + "x" * 300,
            "/p/999999",
            f"/p/{draft['id']}",
            "/p/abc",
            "/shop/5",
            "/nowhere",
        ):
            response = await web.get(missing)
            assert response.status_code == 404, missing
            assert response.headers["content-type"].startswith("text/html")
            assert "<h1>Page not found</h1>" in response.text
            assert "content-security-policy" in response.headers


async def test_hostile_text_is_shown_as_text(app: FastAPI, client: httpx.AsyncClient) -> None:
    ada = await new_user(client, name="<b>Ada</b>")
    post = await new_post(
        client,
        ada["id"],
        title=HOSTILE[:90],
        content=HOSTILE + " javascript:alert(1)",
        tags=["<i>tag</i>", "javascript:alert(1)"],
        published=True,
    )
    async with browser(app) as web:
        for path in ("/", f"/p/{post['id']}", "/u/ada", "/t/javascript:alert(1)"):
            page = await web.get(path)
            assert page.status_code == 200, path
            assert "<script>" not in page.text and "<img src=x" not in page.text, path
            assert "<b>Ada</b>" not in page.text and "<i>tag</i>" not in page.text
            assert 'href="javascript:' not in page.text
            assert "&lt;script&gt;" in page.text, path


async def test_sign_up_write_publish_and_log_out(app: FastAPI) -> None:
    async with browser(app) as web:
        refused = await submit(
            web,
            "/signup",
            {
                "username": "x",
                "password": "short",
                "name": "Grace Hopper",
                "email": "not-an-email",
                "age": "old",
            },
        )
        assert refused.status_code == 422
        body = refused.text
        assert 'value="Grace Hopper"' in body and 'value="not-an-email"' in body
        for field in ("username", "password", "email", "age"):
            assert f'id="f-{field}-error"' in body, field
        assert "short" not in re.findall(r'name="password"[^>]*>', body)[0]
        response = await sign_up(web, "grace", name="Grace Hopper")
        cookie = response.headers["set-cookie"]
        assert "session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # plain http here; https gets Secure
        taken = await submit(
            web,
            "/signup",
            {
                "username": "GRACE",
                "password": "another one",
                "name": "Imp",
                "email": "imp@example.com",
                "age": "20",
            },
        )
        assert taken.status_code == 422 and "Username already taken" in taken.text

        bad = await submit(web, "/write", {"title": "Shrt", "content": "x", "tags": "ok fine"})
        assert bad.status_code == 422
        assert 'id="f-title-error"' in bad.text and 'id="f-content-error"' in bad.text
        assert 'value="ok fine"' in bad.text
        written = await submit(
            web,
            "/write",
            {
                "title": "Compilers for all",
                "content": "Teaching machines to understand English words.",
                "tags": "Compilers, history",
            },
        )
        assert written.status_code == 303
        path = written.headers["location"]
        assert "Draft" in (await web.get(path)).text
        assert "Compilers for all" not in (await web.get("/")).text
        published = await submit(
            web,
            f"{path}/edit",
            {
                "title": "Compilers for all",
                "content": "Teaching machines to understand English words.",
                "tags": "compilers history",
                "published": "on",
            },
        )
        assert published.status_code == 303
        assert "Compilers for all" in (await web.get("/")).text
        assert "Compilers for all" in (await web.get("/t/compilers")).text

        profile = await submit(web, "/account", {"name": "G", "city": "Arlington"})
        assert profile.status_code == 422 and 'value="Arlington"' in profile.text
        changed = await submit(
            web, "/account", {"name": "Rear Admiral Hopper", "city": "Arlington"}
        )
        assert changed.status_code == 303
        assert "Rear Admiral Hopper" in (await web.get("/u/grace")).text

        out = await submit(web, "/logout", {}, form_page="/")
        assert out.status_code == 303 and 'session=""' in out.headers["set-cookie"]
        assert (await web.get("/write")).status_code == 303


async def test_the_session_cookie_follows_the_token_rules_and_never_opens_the_api(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with browser(app) as web:
        await sign_up(web, "linus")
        session = web.cookies["session"]
        assert (await web.get("/write")).status_code == 200
        # The JSON API is bearer-only: the cookie alone is not a caller.
        api = await web.post("/posts", json={"title": "Via cookie", "content": "x" * 30})
        assert api.status_code == 401
        assert (await web.get("/users/me")).status_code == 401
        # The same token works as a bearer token: it is the API's own JWT.
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as api_client:
            me = await api_client.get("/users/me", headers=bearer(session))
            assert me.status_code == 200
            user_id = me.json()["id"]
        # Deactivation ends the session.
        assert (
            await client.patch(f"/users/{user_id}", json={"is_active": False})
        ).status_code == 200
        assert (await web.get("/write")).headers["location"] == "/login?next=%2Fwrite"
        assert (
            await client.patch(f"/users/{user_id}", json={"is_active": True})
        ).status_code == 200
        assert (await web.get("/write")).status_code == 200
        # A password change ends it too.
        changed = await client.post(
            f"/users/{user_id}/password", json={"new_password": "a new secret"}
        )
        assert changed.status_code == 204
        assert (await web.get("/write")).status_code == 303


async def test_forms_without_the_csrf_token_are_refused(app: FastAPI) -> None:
    async with browser(app) as web:
        await web.get("/login")  # the browser gets its csrf cookie
        for token in (None, "0" * 64, "nonsense"):
            data = {"username": ADMIN["username"], "password": ADMIN["password"]}
            if token is not None:
                data["csrf_token"] = token
            refused = await web.post("/login", data=data)
            assert refused.status_code == 403 and "Form expired" in refused.text
            assert "session" not in web.cookies
        # A token taken before logging in does not serve the new session.
        login_form_token = re.search(r'value="([0-9a-f]{64})"', (await web.get("/login")).text)
        assert login_form_token
        assert (await log_in(web, ADMIN["username"], ADMIN["password"])).status_code == 303
        stale = await web.post("/logout", data={"csrf_token": login_form_token.group(1)})
        assert stale.status_code == 403
    async with browser(app) as stranger:
        # No csrf cookie at all: a cross-site form post.
        forged = await stranger.post("/signup", data={"csrf_token": "a" * 64, "username": "evil"})
        assert forged.status_code == 403


async def test_login_form_shares_the_api_check_and_throttle(app: FastAPI) -> None:
    async with browser(app) as web:
        wrong = await log_in(web, ADMIN["username"], "not the password")
        assert wrong.status_code == 401
        assert "Incorrect username or password" in wrong.text
        assert f'value="{ADMIN["username"]}"' in wrong.text
        for _ in range(4):
            await log_in(web, ADMIN["username"], "not the password")
        throttled = await log_in(web, ADMIN["username"], ADMIN["password"])
        assert throttled.status_code == 429 and "Too many failed logins" in throttled.text
        assert int(throttled.headers["retry-after"]) > 0
        # The API's own endpoint counts the same failures.
        api = await web.post(
            "/auth/token", data={"username": "root", "password": ADMIN["password"]}
        )
        assert api.status_code == 429
        after = await log_in(web, "someone-else", ADMIN["password"])
        assert after.status_code == 401
        moved_on = await submit(
            web, "/login", {"username": "x", "password": "y", "next": "//evil.example/"}
        )
        assert moved_on.status_code == 401 and 'name="next" value="/"' in moved_on.text


async def test_only_the_author_or_an_admin_edits_a_post(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ada = await new_user(client)
    post = await new_post(client, ada["id"], published=True)
    async with browser(app) as web:
        assert (
            (await web.get(f"/p/{post['id']}/edit")).headers["location"].startswith("/login?next=")
        )
        await sign_up(web, "mallory")
        refused = await web.get(f"/p/{post['id']}/edit")
        assert refused.status_code == 403 and "Not allowed" in refused.text
        token = re.search(r'value="([0-9a-f]{64})"', (await web.get("/write")).text)
        assert token
        forced = await web.post(
            f"/p/{post['id']}/edit",
            data={"csrf_token": token.group(1), "title": "Hijacked title", "content": "x" * 30},
        )
        assert forced.status_code == 403
        assert (await web.get("/admin/categories")).status_code == 403
    async with browser(app) as admin:
        await log_in(admin, ADMIN["username"], ADMIN["password"])
        page = await admin.get(f"/p/{post['id']}")
        assert "Edit this post" in page.text
        assert (await admin.get(f"/p/{post['id']}/edit")).status_code == 200


async def test_catalog_pages_and_admin_forms(app: FastAPI) -> None:
    async with browser(app) as admin:
        await log_in(admin, ADMIN["username"], ADMIN["password"])
        empty = await submit(admin, "/admin/categories", {"name": "", "description": "kept"})
        assert empty.status_code == 422 and 'value="kept"' in empty.text
        assert (await submit(admin, "/admin/categories", {"name": "Books"})).status_code == 303
        duplicate = await submit(admin, "/admin/categories", {"name": "BOOKS"})
        assert duplicate.status_code == 422 and 'id="f-name-error"' in duplicate.text
        assert (await submit(admin, "/admin/categories", {"name": "Pens"})).status_code == 303
        listing = await admin.get("/admin/categories")
        pens = re.search(r'href="(/admin/categories/\d+)">Pens<', listing.text)
        assert pens
        renamed = await submit(admin, pens.group(1), {"name": "books", "description": "x"})
        assert renamed.status_code == 422 and "already" in renamed.text.lower()
        assert 'value="books"' in renamed.text
        renamed = await submit(admin, pens.group(1), {"name": "Pens", "description": "Ink"})
        assert renamed.status_code == 303
        assert "Pens</a> — Ink" in (await admin.get("/admin/categories")).text
        categories = {
            name: number
            for number, name in re.findall(
                r'<option value="(\d+)">([^<]+)</option>',
                (await admin.get("/admin/products/new")).text,
            )
        }
        bad = await submit(
            admin,
            "/admin/products/new",
            {
                "name": "Sketchbook",
                "price": "1.234",
                "stock": "-1",
                "category_id": categories["Books"],
            },
            form_page="/admin/products/new",
        )
        assert bad.status_code == 422
        assert 'id="f-price-error"' in bad.text and 'id="f-stock-error"' in bad.text
        assert f'<option value="{categories["Books"]}" selected>' in bad.text
        made = []
        for name, price, stock, category in (
            ("Sketchbook", "12.50", "3", "Books"),
            ("Novel", "25", "0", "Books"),
            ("Fountain pen", "40.00", "5", "Pens"),
        ):
            response = await submit(
                admin,
                "/admin/products/new",
                {"name": name, "price": price, "stock": stock, "category_id": categories[category]},
            )
            assert response.status_code == 303, response.text
            made.append(response.headers["location"])
        edited = await submit(
            admin,
            made[1].replace("/shop/", "/admin/products/"),
            {"name": "Novel", "price": "22", "stock": "2", "category_id": ""},
        )
        assert edited.status_code == 303
        novel = await admin.get(made[1])
        assert (
            "22.00" in novel.text
            and "2 in stock" in novel.text
            and "Edit this product" in novel.text
        )
    async with browser(app) as web:
        shop = await web.get("/shop")
        assert all(name in shop.text for name in ("Sketchbook", "Novel", "Fountain pen"))
        books = await web.get(
            "/shop", params={"category_id": categories["Books"], "in_stock": "true"}
        )
        assert (
            "Sketchbook" in books.text
            and "Novel" not in books.text
            and "Fountain pen" not in books.text
        )
        priced = await web.get("/shop", params={"min_price": "20", "max_price": "30"})
        assert "Novel" in priced.text and "Sketchbook" not in priced.text
        assert 'value="20"' in priced.text
        wrong = await web.get(
            "/shop", params={"min_price": "abc", "max_price": "1e999", "category_id": "x"}
        )
        assert wrong.status_code == 400
        assert 'id="f-min_price-error"' in wrong.text and 'value="abc"' in wrong.text
        product = await web.get(made[0])
        assert (
            "12.50" in product.text
            and "Books" in product.text
            and "Edit this product" not in product.text
        )


async def test_api_errors_stay_json_and_page_methods_are_405(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    missing = await anonymous.get("/users/999")
    assert missing.status_code == 404 and missing.json() == {"detail": "User not found"}
    assert (await anonymous.get("/no/such/path")).json() == {"detail": "Not Found"}
    assert (await anonymous.get("/users/abc")).json()["detail"][0]["loc"] == ["path", "user_id"]
    for method, path in (
        ("DELETE", "/u/root"),
        ("PUT", "/shop"),
        ("DELETE", "/"),
        ("PATCH", "/login"),
    ):
        response = await anonymous.request(method, path)
        assert response.status_code == 405, (method, path)
    static = await anonymous.get("/static/style.css")
    assert static.status_code == 200 and static.headers["content-type"].startswith("text/css")


async def test_a_crash_is_a_500_page_for_people_and_json_for_the_api(
    app: FastAPI, anonymous: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.state.storage.posts, "list", broken)
    page = await anonymous.get("/", headers=HTML)
    assert page.status_code == 500 and "<h1>Something went wrong</h1>" in page.text
    assert "boom" not in page.text
    api = await anonymous.get("/posts")
    assert api.status_code == 500 and api.json() == {"detail": "Internal server error"}
    assert "<b>" not in text_of(page)


async def test_a_database_outage_is_a_503_page_and_json_for_the_api(
    app: FastAPI, anonymous: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*args: object) -> None:
        raise Unavailable("connection refused by db.internal:5432")

    monkeypatch.setattr(app.state.storage.posts, "list", down)
    page = await anonymous.get("/t/anything", headers=HTML)
    assert page.status_code == 503 and "Temporarily unavailable" in page.text
    assert page.headers["retry-after"] == "5"
    assert "db.internal" not in page.text
    api = await anonymous.get("/posts")
    assert api.status_code == 503 and api.headers["retry-after"] == "5"
    assert api.json() == {"detail": "Database unavailable; retry shortly"}


HOSTILE_VALUES = [
    "\x00",
    "x" * 5000,
    "9" * 5000,
    "é\u0301" * 40,
    "<script>",
    "' OR 1=1 --",
    '{"$gt": ""}',
]


async def test_hostile_form_input_gets_form_errors_never_a_500(app: FastAPI) -> None:
    async with browser(app) as web:
        for value in HOSTILE_VALUES:
            fields = {
                "username": value,
                "password": value,
                "name": value,
                "email": value,
                "age": value,
                "city": value,
            }
            signed = await submit(web, "/signup", fields)
            assert signed.status_code == 422, value[:20]
            logged = await submit(web, "/login", {"username": value, "password": value})
            assert logged.status_code == 401, value[:20]
            quoted = quote(value, safe="")
            for path in (f"/u/{quoted}", f"/t/{quoted}", f"/shop?q={quoted}&min_price={quoted}"):
                assert (await web.get(path)).status_code in (200, 400, 404), path[:20]
        await sign_up(web, "fuzzer")
        for value in HOSTILE_VALUES:
            written = await submit(web, "/write", {"title": value, "content": value, "tags": value})
            assert written.status_code in (303, 422), value[:20]
        raw = await web.post(
            "/write",
            content=b"\xff\xfe=\xff&csrf_token=\xff",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert raw.status_code == 403
        assert (await web.post("/write", data={"csrf_token": ["a", "b"]})).status_code == 403


def png(width: int = 80, height: int = 60) -> bytes:
    """A small PNG image."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_profile_picture_upload_and_removal(app: FastAPI) -> None:
    async with browser(app) as web:
        anonymous = await web.post("/account/picture", files={"picture": ("a.png", png())})
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
        await sign_up(web, "pixel")
        token = await csrf_token(web, "/account")
        forged = await web.post("/account/picture", files={"picture": ("a.png", png())})
        assert forged.status_code == 403
        empty = await web.post("/account/picture", data={"csrf_token": token})
        assert empty.status_code == 422 and 'id="f-picture-error"' in empty.text
        junk = await web.post(
            "/account/picture",
            data={"csrf_token": token},
            files={"picture": ("a.png", b"<svg onload=alert(1)>", "image/png")},
        )
        assert junk.status_code == 422 and 'id="f-picture-error"' in junk.text
        done = await web.post(
            "/account/picture", data={"csrf_token": token}, files={"picture": ("me.png", png())}
        )
        assert done.status_code == 303
        picture = re.search(r'src="(/pictures/[0-9a-f]{64}/256)"', (await web.get("/u/pixel")).text)
        assert picture
        avatar = picture.group(1).removesuffix("/256") + "/64"
        assert (await web.get(avatar)).status_code == 200
        image = await web.get(picture.group(1))
        assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
        account = await web.get("/account")
        assert picture.group(1) in account.text and "Remove picture" in account.text
        removed = await submit(web, "/account/picture/remove", {}, form_page="/account")
        assert removed.status_code == 303
        assert 'src="/pictures/default/256"' in (await web.get("/u/pixel")).text


async def test_form_numbers_take_ascii_digits_only_as_the_api_does(app: FastAPI) -> None:
    # Python's int() reads "٣٦" (Arabic-Indic digits) as 36; the API's models refuse it.
    async with browser(app) as web:
        fields = {
            "username": "digits",
            "password": "correct horse battery",
            "name": "Digit Person",
            "email": "digits@example.com",
        }
        refused = await submit(web, "/signup", {**fields, "age": "٣٦"})
        assert refused.status_code == 422 and 'id="f-age-error"' in refused.text
        shop = await web.get("/shop", params={"category_id": "٣"})
        assert shop.status_code == 400 and "valid integer" in shop.text
        assert (await submit(web, "/signup", {**fields, "age": " 36 "})).status_code == 303


async def test_a_form_over_the_body_limit_is_a_413_page(app: FastAPI) -> None:
    # A browser sends Content-Length, so an oversize form is refused before any route
    # takes it: still a page for people (as when it streams past the limit), JSON for the API.
    async with browser(app) as web:
        token = await csrf_token(web, "/signup")
        padding = "x" * (2 * 1024 * 1024)
        refused = await web.post("/signup", data={"csrf_token": token, "name": padding})
        assert refused.status_code == 413
        assert refused.headers["content-type"].startswith("text/html")
        assert "<h1>Too large</h1>" in refused.text and "content-security-policy" in refused.headers
        await sign_up(web, "bulky")
        token = await csrf_token(web, "/account")
        huge = b"\x89PNG" + bytes(5 * 1024 * 1024)
        picture = await web.post(
            "/account/picture", data={"csrf_token": token}, files={"picture": ("a.png", huge)}
        )
        assert picture.status_code == 413 and "The picture is too large" in text_of(picture)
        assert picture.headers["content-type"].startswith("text/html")
        api = await web.post("/users", content=padding, headers={"Accept": "application/json"})
        assert api.status_code == 413 and api.json()["detail"].startswith("Request body too large")
