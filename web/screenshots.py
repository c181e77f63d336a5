"""``python -m web.screenshots``: pictures of the main pages at phone and desktop width.

Starts the service on a throw-away SQLite database, fills it with a few posts
and products through the JSON API, and has Debian's headless Chromium
(``/usr/bin/chromium``, or ``$CHROMIUM``) save one PNG per page and width into
``--out`` (``screenshots/``, git-ignored). Needs the dev extra (Playwright).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from storage.factory import migrate_storage

WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
PUBLIC = {
    "home": "/",
    "post": "/p/1",
    "tag": "/t/databases",
    "user": "/u/ada",
    "shop": "/shop",
    "product": "/shop/1",
    "login": "/login",
    "signup": "/signup",
    "not-found": "/no-such-page",
}
SIGNED_IN = {"write": "/write", "profile": "/account"}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN = ("root", "root@example.com", "screenshot admin 1")
ADA = {"username": "ada", "password": "analytical engine", "name": "Ada Lovelace"}
POSTS = [
    ("Notes on the engine", ["history", "math"]),
    ("Why keyset pagination", ["databases", "api"]),
    ("One contract, two stores", ["databases", "mongodb", "sql"]),
]
PRODUCTS = [("Sketchbook", "12.50", 3), ("Fountain pen", "40.00", 5), ("Notebook", "4.99", 0)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(base: str) -> None:
    """A user with posts, an admin's catalog: what the pages show."""
    with httpx.Client(base_url=base, timeout=30) as api:
        user = {**ADA, "email": "ada@example.com", "age": 36, "city": "London"}
        assert api.post("/users", json=user).status_code == 201
        token = api.post("/auth/token", data=ADA).json()["access_token"]
        content = "The same words, stored twice and served once. " * 6
        for title, tags in POSTS:
            post = {"title": title, "content": content, "tags": tags, "published": True}
            api.post("/posts", json=post, headers={"Authorization": f"Bearer {token}"})
        login = {"username": ADMIN[0], "password": ADMIN[2]}
        admin = {
            "Authorization": f"Bearer {api.post('/auth/token', data=login).json()['access_token']}"
        }
        category = api.post("/categories", json={"name": "Stationery"}, headers=admin).json()["id"]
        for name, price, stock in PRODUCTS:
            body: dict[str, Any] = {"name": name, "price": price, "stock": stock}
            api.post("/products", json={**body, "category_id": category}, headers=admin)


def _shoot(base: str, out: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright  # the dev extra

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        for width_name, (width, height) in WIDTHS.items():
            context = browser.new_context(
                base_url=base, viewport={"width": width, "height": height}
            )
            page = context.new_page()
            for name, path in PUBLIC.items():
                page.goto(path)
                written.append(out / f"{name}-{width_name}.png")
                page.screenshot(path=written[-1], full_page=True)
            page.goto("/login")
            page.get_by_label("Username or email").fill(ADA["username"])
            page.get_by_label("Password").fill(ADA["password"])
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(base + "/")
            for name, path in SIGNED_IN.items():
                page.goto(path)
                written.append(out / f"{name}-{width_name}.png")
                page.screenshot(path=written[-1], full_page=True)
            context.close()
        browser.close()
    return written


def _wait(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the service stopped while starting; run ./scripts/serve to see why")
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the service did not answer /health within 60 s")


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots; print where they are."""
    parser = argparse.ArgumentParser(prog="python -m web.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"Chromium is not at {args.chromium}: apt-get install -y chromium", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'screens.db'}"
        asyncio.run(migrate_storage("sql", database_url=url, mongo_url=""))
        env = {
            **os.environ,
            "STORAGE_BACKEND": "sql",
            "DATABASE_URL": url,
            "ENVIRONMENT": "development",
            "LOG_LEVEL": "warning",
        }
        admin = [sys.executable, "-m", "api", "create-admin", "--username", ADMIN[0]]
        subprocess.run(
            [*admin, "--email", ADMIN[1]],
            input=f"{ADMIN[2]}\n".encode(),
            env=env,
            check=True,
            capture_output=True,
        )
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "api", "serve", "--port", str(port), "--no-access-log"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        try:
            _wait(base, process)
            _seed(base)
            written = _shoot(base, args.out, args.chromium)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"Wrote {len(written)} screenshots to {args.out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
