"""A three-node MariaDB Galera cluster, an API instance on each node, racing each other.

Every node takes writes. Two transactions on different nodes that touch the
same rows are certified against each other at commit: one commits, the other
fails with 1213 (a deadlock, as far as the client can tell) and is run again
by the store, so the races keep their answers: 50 orders for a stock of 10 sell
exactly 10, one email signed up on three nodes at once makes one account.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.accounts import sign_up_body
from tests.faults.servers import ROOT
from tests.scaleout.galera import GaleraCluster, GaleraNode
from tests.scaleout.http import INSTANCE_ENV, eventually, sign_up, token
from tests.scaleout.instances import ServedInstance, migrate
from tests.scaleout.redis_server import PrivateRedis

pytestmark = pytest.mark.replication

ADMIN_PASSWORD = "galera admin password"


@pytest.fixture(scope="module")
def cluster() -> Iterator[GaleraCluster]:
    """Three synced nodes, migrated (DDL is replicated to all: total order isolation)."""
    galera = GaleraCluster()
    try:
        galera.start()
        migrate({"DATABASE_URL": galera.nodes[0].url})
        _create_admin(galera.nodes[0].url)
        yield galera
    finally:
        galera.destroy()


@pytest.fixture(scope="module")
def apis(
    cluster: GaleraCluster, redis_server: PrivateRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServedInstance]]:
    """One API instance per node, sharing a Redis (read-your-writes positions, log-outs)."""
    folder = tmp_path_factory.mktemp("galera")
    instances = [
        ServedInstance({**INSTANCE_ENV, "DATABASE_URL": node.url, "REDIS_URL": redis_server.url},
                       folder / f"api-{node.name}.log")
        for node in cluster.nodes
    ]  # fmt: skip
    try:
        for api in instances:
            api.start()
        yield instances
    finally:
        for api in instances:
            api.stop()


def _create_admin(url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "api", "create-admin", "--username", "root",
         "--email", "root@example.com"],
        input=ADMIN_PASSWORD + "\n", env={**_env(), "DATABASE_URL": url}, cwd=ROOT,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def _env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    return {**base, **INSTANCE_ENV, "ENVIRONMENT": "development"}


def _at_once(calls: list[Callable[[], int]]) -> Counter[int]:
    """Run ``calls`` in threads released together; their status codes, counted."""
    statuses: list[int] = []
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], int]) -> None:
        gate.wait()
        statuses.append(call())

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(statuses)


def test_ids_step_by_the_cluster_size_and_never_collide(apis: list[ServedInstance]) -> None:
    ids = {api.url: [sign_up(api.url)["id"] for _ in range(3)] for api in apis}
    remainders = {url: {i % 3 for i in created} for url, created in ids.items()}
    # Each node hands out its own residue class (auto_increment_offset) in steps of 3.
    assert all(len(r) == 1 for r in remainders.values()), ids
    assert len({r.pop() for r in remainders.values()}) == 3, ids
    everyone = [i for created in ids.values() for i in created]
    assert len(set(everyone)) == 9
    for api in apis:  # every node has every account
        for user_id in everyone:
            assert httpx.get(f"{api.url}/users/{user_id}", timeout=10).status_code == 200


def test_fifty_orders_for_ten_in_stock_from_every_node_sell_exactly_ten(
    apis: list[ServedInstance],
) -> None:
    admin = token(apis[0].url, "root", ADMIN_PASSWORD)
    product = httpx.post(
        f"{apis[0].url}/products",
        json={"name": f"Scarce {uuid.uuid4().hex[:6]}", "price": "9.99", "stock": 10},
        headers=admin,
        timeout=10,
    )
    assert product.status_code == 201, product.text
    product_id = product.json()["id"]
    buyers = [token(api.url, sign_up(api.url)["username"]) for api in apis for _ in range(2)]
    order = {"items": [{"product_id": product_id, "quantity": 1}]}

    def place(number: int) -> Callable[[], int]:
        api, buyer = apis[number % len(apis)], buyers[number % len(buyers)]
        return lambda: (
            httpx.post(f"{api.url}/orders", json=order, headers=buyer, timeout=30).status_code
        )

    statuses = _at_once([place(number) for number in range(50)])
    assert statuses == Counter({201: 10, 409: 40}), statuses
    for api in apis:
        eventually(
            lambda api=api: _stock(api, product_id) == 0,  # type: ignore[misc]
            f"stock 0 on {api.url}",
        )


def _stock(api: ServedInstance, product_id: int) -> int:
    stock: int = httpx.get(f"{api.url}/products/{product_id}", timeout=10).json()["stock"]
    return stock


def test_one_email_signed_up_on_every_node_at_once_makes_one_account(
    apis: list[ServedInstance],
) -> None:
    """One 201; every other sign-up is refused: 409, or 503 if it lost a certification race.

    A sign-up is one ``Database.write`` (not the retried ``transaction``), so
    one that loses at commit to the same email on another node answers 503
    (retry later): sent again it is a 409. Never two accounts, never a 500.
    """
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    bodies = [
        {**sign_up_body(email), "username": f"racer{number}_{uuid.uuid4().hex[:6]}"}
        for number in range(24)
    ]

    def sign(number: int) -> Callable[[], int]:
        api = apis[number % len(apis)]
        return lambda: httpx.post(f"{api.url}/users", json=bodies[number], timeout=30).status_code

    statuses = _at_once([sign(number) for number in range(24)])
    assert statuses[201] == 1 and set(statuses) <= {201, 409, 503}, statuses
    for number, body in enumerate(bodies):  # each refused one, sent again, is a 409
        again = httpx.post(f"{apis[number % 3].url}/users", json=body, timeout=30)
        assert again.status_code == 409, again.text


def test_a_caller_reads_its_write_on_another_node_after_a_causality_wait(
    cluster: GaleraCluster, apis: list[ServedInstance]
) -> None:
    a, b, _ = apis
    node_b = cluster.nodes[1]
    user = sign_up(a.url)
    auth = token(a.url, user["username"])
    for number in range(10):
        waits = int(node_b.status("wsrep_causal_reads"))
        post = {
            "title": f"Post number {number}",
            "content": "Written on one node, read on another.",
        }
        created = httpx.post(f"{a.url}/posts", json=post, headers=auth, timeout=10)
        assert created.status_code == 201, created.text
        mine = httpx.get(f"{b.url}/posts/{created.json()['id']}", headers=auth, timeout=10)
        assert mine.status_code == 200, mine.text
        assert int(node_b.status("wsrep_causal_reads")) > waits  # B waited for the cluster
    # A reader with no write of its own reads without waiting.
    waits = int(node_b.status("wsrep_causal_reads"))
    assert httpx.get(f"{b.url}/users/{user['id']}", timeout=10).status_code == 200
    assert int(node_b.status("wsrep_causal_reads")) == waits


def test_a_node_loss_costs_only_the_requests_on_that_node(
    cluster: GaleraCluster, apis: list[ServedInstance]
) -> None:
    """Killing a node: its instance answers 503 until it is back; the others carry on.

    Until the cluster has declared the node gone (``evs.suspect_timeout``), commits
    wait everywhere: a write in flight then may run past its bound and get a 503
    (its outcome unknown, as for any lost answer). Never a 500; after the view
    change every write on the other nodes succeeds.
    """
    lost: GaleraNode = cluster.nodes[2]
    statuses: dict[str, list[tuple[float, int]]] = {api.url: [] for api in apis}
    stop = threading.Event()

    def write(api: ServedInstance) -> None:
        with httpx.Client(base_url=api.url, timeout=30) as client:
            while not stop.is_set():
                body = sign_up_body(f"n{uuid.uuid4().hex[:12]}@example.com")
                started = time.monotonic()
                statuses[api.url].append((started, client.post("/users", json=body).status_code))

    writers = [threading.Thread(target=write, args=(api,)) for api in apis]
    for writer in writers:
        writer.start()
    try:
        eventually(lambda: all(len(s) > 5 for s in statuses.values()), "writes on every node")
        lost.kill()
        eventually(lambda: cluster.nodes[0].synced(2), "the two others carrying on")
        changed = time.monotonic()
        eventually(
            lambda: all(sum(t > changed for t, _ in statuses[api.url]) > 5 for api in apis[:2]),
            "writes on the surviving nodes",
        )
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    for api in apis:
        assert {status for _, status in statuses[api.url]} <= {201, 503}, statuses[api.url]
    for api in apis[:2]:
        after = {status for started, status in statuses[api.url] if started > changed}
        assert after == {201}, (api.url, after)
    assert 503 in {status for _, status in statuses[apis[2].url]}

    cluster.restart(lost)
    eventually(lambda: sign_up_status(apis[2]) == 201, "the node's instance serving again")


def sign_up_status(api: ServedInstance) -> int:
    body = sign_up_body(f"back{uuid.uuid4().hex[:10]}@example.com")
    return httpx.post(f"{api.url}/users", json=body, timeout=30).status_code
