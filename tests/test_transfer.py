"""``TransferStore`` on every backend: records come back exactly, imports converge, ids go on.

And the copier on top of it: a copy stopped between batches, or cut inside
one, finishes with ``resume`` and verifies; a non-empty target is refused.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from api.auth.passwords import Passwords
from api.copy.copier import Options, Silent, Stopped, TargetNotEmpty, copy_records
from api.copy.verify import verify
from api.pictures.processing import process_blocking
from bench.records import RecordSizes, fill
from storage.factory import migrate_storage, open_storage
from storage.protocol import Storage, TransferStore
from storage.types.pictures import column_of
from storage.types.records import (
    RECORDS,
    CategoryRecord,
    OrderLineRecord,
    OrderRecord,
    PictureRecord,
    PostRecord,
    ProductRecord,
    UserRecord,
)
from tests.accounts import bearer, sign_up_body, token_for
from tests.resetting import reset_storage

pytestmark = pytest.mark.anyio

AT = datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)
LATER = datetime(2026, 5, 6, 7, 8, 9, 12000, tzinfo=UTC)
MOST = Decimal("9999999999.99")
# An order line beyond 12 digits (NUMERIC(20, 2) on the SQL stores).
DEAR = MOST * 5000


def _stamps(version: int = 1) -> dict[str, object]:
    return {"created_at": AT, "updated_at": LATER, "version": version}


def _picture(picture_id: int, colour: tuple[int, int, int]) -> PictureRecord:
    """A real picture (through the upload's processing) as a record."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    picture = process_blocking(out.getvalue())
    images = {column_of(size): data for size, data in picture.images.items()}
    return PictureRecord(id=picture_id, digest=picture.digest, **images, **_stamps())


PICTURES = [_picture(2, (200, 30, 30)), _picture(5, (30, 30, 200))]
ADA_PASSWORD = "imported password"
USERS = [
    UserRecord(
        id=3,
        username="ada.straße",
        role="admin",
        password_hash=Passwords(8, 1).hash_blocking(ADA_PASSWORD),
        token_version=2,
        name="Ada Straße",
        email="ada@example.com",
        age=36,
        city="Köln",
        is_active=True,
        picture=PICTURES[0].digest,
        **_stamps(4),
    ),
    UserRecord(
        id=8,
        username="İlker",
        role="user",
        password_hash="!",
        token_version=0,
        name="İlker",
        email="ilker@example.com",
        age=0,
        city="İzmir",
        is_active=False,
        picture=PICTURES[1].digest,
        **_stamps(),
    ),
]
CATEGORIES = [
    CategoryRecord(id=2, name="Bücher", description=None, **_stamps(2)),
    CategoryRecord(id=5, name="Ὀδύσσεια", description="ἄνδρα μοι ἔννεπε", **_stamps()),
]
PRODUCTS = [
    ProductRecord(
        id=4,
        name="Atlas of Köln",
        price=Decimal("12.50"),
        stock=3,
        category_id=2,
        deleted_at=None,
        **_stamps(3),
    ),
    ProductRecord(
        id=6, name="Gone 😀", price=MOST, stock=0, category_id=None, deleted_at=LATER, **_stamps(9)
    ),
]
POSTS = [
    PostRecord(
        id=7,
        title="Notes on the engine",
        content="Twenty characters and more.",
        published=True,
        author_id=3,
        tags=["math", "straße", "ελληνικά"],
        **_stamps(5),
    ),
    PostRecord(
        id=9,
        title="No tags at all",
        content="Twenty characters and more.",
        published=False,
        author_id=8,
        tags=[],
        **_stamps(),
    ),
]
LINES = [
    # Not in product-id order: lines keep the order they were placed in.
    OrderLineRecord(product_id=6, name="Gone", unit_price=MOST, quantity=5000, line_total=DEAR),
    OrderLineRecord(
        product_id=4,
        name="Atlas",
        unit_price=Decimal("12.5"),
        quantity=1,
        line_total=Decimal("12.5"),
    ),
]
ORDERS = [
    OrderRecord(
        id=11,
        user_id=3,
        status="cancelled",
        lines=LINES,
        total=DEAR + Decimal("12.50"),
        **_stamps(2),
    ),
    # Its user is gone: orders outlive their users.
    OrderRecord(
        id=12, user_id=99, status="placed", lines=LINES[1:], total=Decimal("12.50"), **_stamps()
    ),
]
EVERYTHING = {
    PictureRecord: PICTURES,
    UserRecord: USERS,
    PostRecord: POSTS,
    CategoryRecord: CATEGORIES,
    ProductRecord: PRODUCTS,
    OrderRecord: ORDERS,
}


@pytest.fixture
async def storage(app: FastAPI) -> Storage:
    """The app's store, empty: without the admin the other tests act as."""
    found: Storage = app.state.storage
    await reset_storage(found)
    return found


async def _import_everything(transfer: TransferStore) -> None:
    for kind in RECORDS:
        await transfer.import_(kind, EVERYTHING[kind])


async def test_records_come_back_exactly(storage: Storage) -> None:
    await _import_everything(storage.transfer)
    for kind in RECORDS:
        assert await storage.transfer.export(kind, 0, 100) == EVERYTHING[kind]
        assert await storage.transfer.export(kind, EVERYTHING[kind][0].id, 1) == [
            EVERYTHING[kind][1]
        ]
    census = await storage.transfer.census(UserRecord)
    assert (census.count, census.highest_id) == (2, 8)


@pytest.fixture
async def imported(storage: Storage, anonymous: httpx.AsyncClient) -> httpx.AsyncClient:
    """Every record imported; a client acting as the imported admin.

    She logs in with the password behind her copied hash: a copy keeps logins.
    """
    await _import_everything(storage.transfer)
    anonymous.headers.update(bearer(await token_for(anonymous, "ADA.STRASSE", ADA_PASSWORD)))
    return anonymous


async def test_imported_records_serve_as_if_written_through_the_api(
    imported: httpx.AsyncClient,
) -> None:
    client = imported
    user = await client.get("/users/3")
    assert user.headers["etag"] == '"4"'
    assert user.json()["image_url"] == f"/pictures/{PICTURES[0].digest}/256"
    served = await client.get(user.json()["image_url"])
    assert served.status_code == 200 and served.content == PICTURES[0].webp_256
    assert user.json()["created_at"] == "2026-03-04T05:06:07.891Z"
    # Keys were recomputed from the declarations: folded search and uniqueness work.
    found = await client.get("/users", params={"name": "STRASSE"})
    assert [item["id"] for item in found.json()["items"]] == [3]
    assert (await client.post("/categories", json={"name": "BÜCHER"})).status_code == 409
    assert [t["name"] for t in (await client.get("/tags")).json()["items"]] == [
        "math",
        "straße",
        "ελληνικά",
    ]
    assert (await client.get("/products/6")).status_code == 404  # deleted
    deleted = (await client.get("/products", params={"deleted": "only"})).json()["items"]
    assert [(p["id"], p["price"], p["deleted_at"]) for p in deleted] == [
        (6, 9999999999.99, "2026-05-06T07:08:09.012Z")
    ]
    product = await client.get("/products/4")
    assert product.headers["etag"] == '"3.2"'  # its version, and its category's
    order = (await client.get("/orders/11")).json()
    assert [line["product_id"] for line in order["items"]] == [6, 4]
    assert order["status"] == "cancelled"
    assert (await client.get("/posts/9")).json()["tags"] == []


async def test_importing_again_converges_and_replaces(storage: Storage) -> None:
    transfer = storage.transfer
    await _import_everything(transfer)
    await _import_everything(transfer)
    changed_post = POSTS[0].model_copy(update={"tags": ["rust"], "version": 6})
    changed_order = ORDERS[0].model_copy(update={"lines": LINES[1:], "total": Decimal("12.50")})
    changed_user = USERS[1].model_copy(update={"name": "Renamed", "version": 2})
    await transfer.import_(PostRecord, [changed_post])
    await transfer.import_(OrderRecord, [changed_order])
    await transfer.import_(UserRecord, [changed_user])
    assert await transfer.export(PostRecord, 0, 10) == [changed_post, POSTS[1]]
    assert await transfer.export(OrderRecord, 0, 10) == [changed_order, ORDERS[1]]
    assert await transfer.export(UserRecord, 0, 10) == [USERS[0], changed_user]
    for kind in RECORDS:
        assert (await transfer.census(kind)).count == len(EVERYTHING[kind])


async def test_ids_continue_after_the_given_mark_and_never_go_back(
    storage: Storage, imported: httpx.AsyncClient
) -> None:
    client = imported
    await storage.transfer.continue_ids(UserRecord, 12)
    assert (await storage.transfer.census(UserRecord)).id_counter == 12
    body = sign_up_body("new@example.com")
    assert (await client.post("/users", json=body)).json()["id"] == 13
    await storage.transfer.continue_ids(UserRecord, 3)  # behind: nothing moves
    body = sign_up_body("newer@example.com")
    assert (await client.post("/users", json=body)).json()["id"] == 14
    # Without a mark, past the highest stored id.
    await storage.transfer.continue_ids(ProductRecord, 0)
    made = await client.post("/products", json={"name": "New", "price": "1"})
    assert made.json()["id"] == 7


SMALL = RecordSizes(users=130, posts=170, categories=15, products=90, orders=60, pictures=12)


@pytest.fixture
async def source(tmp_path: Path) -> AsyncIterator[Storage]:
    """A SQLite store holding the small generated dataset."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    await migrate_storage("sql", database_url=url, mongo_url="")
    opened = await open_storage("sql", database_url=url, mongo_url="")
    try:
        await fill(opened.transfer, SMALL)
        yield opened
    finally:
        await opened.close()


async def test_a_copy_stopped_between_batches_resumes(source: Storage, storage: Storage) -> None:
    stopping = Options(batch_size=40, stop_after=6)
    with pytest.raises(Stopped):
        await copy_records(source.transfer, storage.transfer, stopping, Silent())
    assert 0 < (await storage.transfer.census(PostRecord)).count < SMALL.posts
    held = sum([(await storage.transfer.census(kind)).count for kind in RECORDS])
    # Every picture (one batch), every user (four), and the first batch of posts.
    assert held == SMALL.pictures + SMALL.users + 40
    with pytest.raises(TargetNotEmpty, match="--resume"):
        await copy_records(source.transfer, storage.transfer, Options(), Silent())
    resumed = await copy_records(source.transfer, storage.transfer, Options(resume=True), Silent())
    assert resumed == SMALL.total() - held  # nothing written twice
    assert (await verify(source.transfer, storage.transfer, Silent())).ok
    again = await copy_records(source.transfer, storage.transfer, Options(resume=True), Silent())
    assert again == 0
    assert (await verify(source.transfer, storage.transfer, Silent())).ok


async def test_a_batch_cut_short_resumes(source: Storage, storage: Storage) -> None:
    # What a kill in the middle of an import leaves: MongoDB keeps the first
    # documents of an ordered bulk write; SQL rolls the batch back (a smaller prefix).
    pictures = await source.transfer.export(PictureRecord, 0, 100)
    await storage.transfer.import_(PictureRecord, pictures)
    batch = await source.transfer.export(UserRecord, 0, 40)
    await storage.transfer.import_(UserRecord, batch[:17])
    await copy_records(source.transfer, storage.transfer, Options(resume=True), Silent())
    verdict = await verify(source.transfer, storage.transfer, Silent())
    assert verdict.ok, verdict.line()


async def test_verification_names_what_differs(source: Storage, storage: Storage) -> None:
    await copy_records(source.transfer, storage.transfer, Options(), Silent())
    altered = (await storage.transfer.export(ProductRecord, 10, 1))[0]
    await storage.transfer.import_(ProductRecord, [altered.model_copy(update={"stock": 12345})])
    verdict = await verify(source.transfer, storage.transfer, Silent())
    assert not verdict.ok
    assert verdict.line() == (
        f"Verification FAILED: products: checksums differ ({SMALL.products} records each)"
    )
