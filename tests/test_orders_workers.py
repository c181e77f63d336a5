"""Several server processes on one SQLite file: no client ever sees "database is locked".

Four uvicorn workers are four processes with pools of their own, all writing
one SQLite file. Writers queue on SQLite's lock (``BEGIN IMMEDIATE`` with a
busy timeout) and a transaction that still finds it busy is run again
(``Database.transaction``): every order is a 201 or a 409, and stock ends
exactly where the accepted orders put it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx

from tests.accounts import ADMIN, PASSWORD, bearer, sign_up_body
from tests.servers import served

ROOT = Path(__file__).resolve().parent.parent


def test_four_workers_on_sqlite_never_answer_database_is_locked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    env = {**os.environ, "DATABASE_URL": url, "STORAGE_BACKEND": "sql"}
    for command in (
        ["migrate"],
        ["create-admin", "--username", "root", "--email", "root@example.com"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "api", *command],
            cwd=ROOT,
            env=env,
            input=ADMIN["password"] + "\n",
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    with served({"DATABASE_URL": url}, "--workers", "4", "--no-access-log") as server:
        statuses, stock = asyncio.run(place_orders(server.url))
        output = server.output
    assert statuses == Counter({201: 30, 409: 50}), statuses
    assert stock == 0
    assert "database is locked" not in output


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def place_orders(base_url: str) -> tuple[Counter[int], int]:
    limits = httpx.Limits(max_connections=40)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        admin = await login(client, "root", ADMIN["password"])
        lamp = await client.post(
            "/products", json={"name": "Lamp", "price": 5, "stock": 30}, headers=admin
        )
        assert lamp.status_code == 201, lamp.text
        buyer = await client.post("/users", json=sign_up_body("ada@example.com"))
        assert buyer.status_code == 201, buyer.text
        token = await login(client, "ada", PASSWORD)
        body = {"items": [{"product_id": lamp.json()["id"], "quantity": 1}]}
        responses = await asyncio.gather(
            *(client.post("/orders", json=body, headers=token) for _ in range(80))
        )
        statuses = Counter(r.status_code for r in responses)
        stock = (await client.get(f"/products/{lamp.json()['id']}")).json()["stock"]
    return statuses, int(stock)
