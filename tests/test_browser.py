"""The pages in a real browser (headless Chromium), against a real server per backend.

A person signs up, uploads a picture, writes and publishes a post, finds it on the feed and by
its tag, filters the shop, logs out; a hostile post renders as text; every
main page passes axe-core without serious or critical violations; the skip
link and keyboard focus work. Runs on SQLite and on the Mongo backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.accounts import ADMIN
from tests.browser import CHROMIUM, CHROMIUM_ARGS, MISSING, site
from tests.servers import Server

pytestmark = pytest.mark.browser

HOSTILE_TITLE = '<script>window.pwned=1</script> <img src=x onerror="window.pwned=2">'
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, launched once for the module; a clear failure when it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(MISSING, pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module", params=["sqlite", "mongo"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A real server on each backend the browser tests cover."""
    backend: str = request.param
    mongo = request.getfixturevalue("mongo_server") if backend == "mongo" else None
    with site(backend, tmp_path_factory.mktemp(f"pages-{backend}"), mongo) as running:
        yield running


@pytest.fixture
def page(chromium: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the server."""
    context = chromium.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def sign_up(page: Page, username: str) -> None:
    page.goto("/signup")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_label("Name", exact=True).fill(username.title() + " Person")
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Age").fill("33")
    page.get_by_label("City").fill("Turin")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Latest posts")).to_be_visible()


def write_post(page: Page, title: str, content: str, tags: str, publish: bool) -> None:
    page.goto("/write")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Content").fill(content)
    page.get_by_label("Tags").fill(tags)
    if publish:
        page.get_by_label("Publish").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def serious_violations(page: Page) -> list[dict[str, Any]]:
    results = Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [v for v in violations if v.get("impact") in BLOCKING]


def upload_picture(page: Page, folder: Path) -> str:
    """Upload a picture from the profile page; the URL the page then shows."""
    from PIL import Image

    file = folder / "me.png"
    Image.new("RGB", (120, 90), (20, 120, 200)).save(file, "PNG")
    page.goto("/account")
    page.get_by_label("New picture").set_input_files(file)
    page.get_by_role("button", name="Upload picture").click()
    picture = page.get_by_role("img", name="Your picture")
    expect(picture).to_have_attribute("src", re.compile(r"^/pictures/[0-9a-f]{64}/256$"))
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 256
    return str(picture.get_attribute("src"))


def test_sign_up_write_publish_find_shop_and_log_out(page: Page, tmp_path: Path) -> None:
    sign_up(page, "margaret")
    picture = upload_picture(page, tmp_path)
    # A form refused by the model keeps what was typed and says why, next to the field.
    page.goto("/write")
    page.get_by_label("Title").fill("Shrt")
    page.get_by_label("Content").fill("Apollo guidance software, written by hand.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#f-title-error")).to_contain_text("at least 5 characters")
    expect(page.get_by_label("Content")).to_have_value("Apollo guidance software, written by hand.")

    write_post(
        page,
        "Software engineering",
        "Apollo guidance software, written by hand.",
        "apollo, Engineering",
        publish=True,
    )
    expect(page.get_by_role("link", name="#engineering")).to_be_visible()
    page.goto("/")
    feed_item = page.get_by_role("article").filter(has_text="Software engineering")
    expect(feed_item).to_be_visible()
    expect(feed_item.get_by_role("link", name="Margaret Person")).to_be_visible()
    # The feed's 32 px avatar is the same picture at 64 px.
    avatar = picture.removesuffix("/256") + "/64"
    expect(feed_item.locator("img.avatar")).to_have_attribute("src", avatar)
    expect(feed_item.locator("time")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT")
    )
    feed_item.get_by_role("link", name="#apollo").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("#apollo")
    expect(page.get_by_role("link", name="Software engineering")).to_be_visible()

    page.goto("/shop")
    page.get_by_label("Category").select_option(label="Books")
    page.get_by_label("In stock only").check()
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/shop\?.*in_stock=true"))
    expect(page.get_by_role("link", name="Sketchbook")).to_be_visible()
    expect(page.get_by_role("link", name="Novel")).to_have_count(0)
    expect(page.get_by_role("link", name="Fountain pen")).to_have_count(0)
    page.get_by_label("Lowest price").fill("100")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No product matches these filters.")).to_be_visible()
    page.get_by_label("Lowest price").fill("")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Sketchbook").click()
    expect(page.get_by_text("12.50")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/write")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert "session" not in cookies


def test_hostile_post_renders_as_text(page: Page) -> None:
    sign_up(page, "mallory")
    write_post(
        page,
        HOSTILE_TITLE,
        "<script>window.pwned=3</script> and some more words.",
        "<b>bold</b>",
        publish=True,
    )
    for path in ("/", page.url):
        page.goto(path)
        expect(page.get_by_text(HOSTILE_TITLE).first).to_be_visible()
        assert page.evaluate("window.pwned") is None
        assert page.locator("main script, main img[src=x], main b").count() == 0


def test_session_cookie_is_http_only_and_lax(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Username or email").fill(ADMIN["username"])
    page.get_by_label("Password").fill(ADMIN["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Admin")).to_be_visible()
    session = next(c for c in page.context.cookies() if c["name"] == "session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # nothing readable by script


def test_keyboard_reaches_the_skip_link_and_content(page: Page) -> None:
    page.goto("/shop")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "f-q"  # the first control inside <main>


MAIN_PAGES = ["/", "/shop", "/shop/1", "/login", "/signup", "/t/axe", "/u/root", "/nowhere"]


def test_main_pages_pass_axe(page: Page) -> None:
    sign_up(page, "grace")
    write_post(
        page, "Accessible pages", "Checked by axe-core in a real browser.", "axe", publish=True
    )
    post_url = page.url
    signed_in = ["/write", "/account", "/u/grace", post_url]
    found = {}
    for path in MAIN_PAGES + signed_in:
        page.goto(path)
        found[path] = serious_violations(page)
    page.get_by_role("button", name="Log out").click()
    page.goto("/login")
    page.get_by_label("Username or email").fill(ADMIN["username"])
    page.get_by_label("Password").fill(ADMIN["password"])
    page.get_by_role("button", name="Log in").click()
    for path in ("/admin/categories", "/admin/products/new", "/admin/products/1"):
        page.goto(path)
        found[path] = serious_violations(page)
    failing = {
        path: [v["id"] for v in violations] for path, violations in found.items() if violations
    }
    assert failing == {}


def test_phone_width_has_no_horizontal_scroll(chromium: Browser, server: Server) -> None:
    context = chromium.new_context(base_url=server.url, viewport={"width": 390, "height": 844})
    try:
        tab = context.new_page()
        for path in ("/", "/shop", "/signup"):
            tab.goto(path)
            assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    finally:
        context.close()


def test_no_page_needs_script(chromium: Browser, server: Server, tmp_path: Path) -> None:
    context = chromium.new_context(base_url=server.url, java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto("/login")
        tab.get_by_label("Username or email").fill(ADMIN["username"])
        tab.get_by_label("Password").fill(ADMIN["password"])
        tab.get_by_role("button", name="Log in").click()
        expect(tab.get_by_role("link", name="Admin")).to_be_visible()
    finally:
        context.close()
