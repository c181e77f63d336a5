"""Profile pictures on every backend: the default one, uploads, hostile files, serving, caching.

Every image is made here with Pillow; the served bytes are decoded to check
what a browser would get.
"""

from __future__ import annotations

import asyncio
import io
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from api.pictures.processing import EMPTY, NOT_AN_IMAGE, TOO_MANY_PIXELS, UNREADABLE
from storage.factory import migrate_storage
from storage.types.records import PictureRecord
from tests.accounts import bearer, sign_up_body, token_for
from tests.conftest import BackendCase, http_client, running_app
from tests.helpers import created, new_post, new_user

pytestmark = pytest.mark.anyio

DEFAULT_URL = "/pictures/default/256"
PICTURE_URL = re.compile(r"/pictures/([0-9a-f]{64})/256")
RED, GREEN, BLUE = (220, 20, 20), (20, 200, 20), (20, 20, 220)
MAX_BYTES = 2 * 1024 * 1024


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    """``image`` saved as ``fmt``."""
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photo(fmt: str = "JPEG", size: tuple[int, int] = (320, 200), seed: int = 0) -> bytes:
    """A small picture with some detail (a gradient), different for each ``seed``."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.paste((seed * 40 % 256, 120, 200 - seed), (0, 0, size[0] // 4, size[1] // 4))
    return encoded(image, fmt)


def halves(
    size: tuple[int, int], left: tuple[int, int, int], right: tuple[int, int, int]
) -> Image.Image:
    """An image whose left half is one colour and right half another."""
    image = Image.new("RGB", size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def decoded(body: bytes) -> Image.Image:
    """The served bytes as an image, checked to be a WebP."""
    image = Image.open(io.BytesIO(body))
    image.load()
    assert image.format == "WEBP"
    return image


def near(pixel: Any, colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], colour, strict=True))


def with_declared_size(png: bytes, width: int, height: int) -> bytes:
    """``png`` with its header claiming ``width`` x ``height`` (a decompression bomb's trick)."""
    header = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    crc = struct.pack(">I", zlib.crc32(header))
    return png[:12] + header + crc + png[33:]


async def account(client: httpx.AsyncClient, name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A signed-up user and their auth header."""
    user = await created(client, "/users", sign_up_body(f"{name}@example.com", name=name.title()))
    return user, bearer(await token_for(client, name))


async def upload(
    client: httpx.AsyncClient,
    user_id: int,
    data: bytes,
    headers: dict[str, str] | None = None,
    filename: str = "me.jpg",
    content_type: str = "image/jpeg",
) -> httpx.Response:
    files = {"picture": (filename, data, content_type)}
    return await client.put(f"/users/{user_id}/picture", files=files, headers=headers)


async def uploaded(
    client: httpx.AsyncClient, user_id: int, data: bytes, headers: dict[str, str] | None = None
) -> str:
    """Upload ``data`` as the user's picture (asserting 200); the picture's digest."""
    response = await upload(client, user_id, data, headers)
    assert response.status_code == 200, response.text
    found = PICTURE_URL.fullmatch(response.json()["image_url"])
    assert found, response.json()["image_url"]
    return found.group(1)


def rejection(response: httpx.Response) -> str:
    """The message of a 422 about the picture field."""
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "picture"]
    message: str = error["msg"]
    return message


# -- the default picture ------------------------------------------------------------


async def test_users_and_authors_show_the_default_picture(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    ada = await new_user(client)
    assert ada["image_url"] == DEFAULT_URL
    public = (await anonymous.get(f"/users/{ada['id']}")).json()
    assert "email" not in public and public["image_url"] == DEFAULT_URL
    assert (await anonymous.get("/users")).json()["items"][1]["image_url"] == DEFAULT_URL
    post = await new_post(client, ada["id"])
    assert post["author"]["image_url"] == DEFAULT_URL
    listed = (await client.get("/posts")).json()["items"][0]
    assert listed["author"]["image_url"] == DEFAULT_URL


@pytest.mark.parametrize("size", [64, 128, 256])
async def test_the_default_picture_is_served_in_every_size(
    anonymous: httpx.AsyncClient, size: int
) -> None:
    response = await anonymous.get(f"/pictures/default/{size}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert decoded(response.content).size == (size, size)
    again = await anonymous.get(
        f"/pictures/default/{size}", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(("size", "status"), [("0", 404), ("100", 404), ("512", 404), ("big", 422)])
async def test_other_sizes_are_not_found(
    anonymous: httpx.AsyncClient, size: str, status: int
) -> None:
    response = await anonymous.get(f"/pictures/default/{size}")
    assert response.status_code == status and response.json()["detail"]


# -- uploads that are pictures ------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
async def test_an_upload_is_stored_as_webp_squares_in_every_size(
    anonymous: httpx.AsyncClient, client: httpx.AsyncClient, fmt: str
) -> None:
    ada, auth = await account(anonymous, "ada")
    before = await anonymous.get(f"/users/{ada['id']}", headers=auth)
    response = await upload(anonymous, ada["id"], photo(fmt), auth, filename=f"me.{fmt.lower()}")
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["email"] == "ada@example.com" and user["id"] == ada["id"]
    digest = PICTURE_URL.fullmatch(user["image_url"]).group(1)  # type: ignore[union-attr]
    # The user changed: a new ETag, and every view of them shows the picture.
    assert response.headers["etag"] != before.headers["etag"]
    assert (await anonymous.get(f"/users/{ada['id']}")).json()["image_url"] == user["image_url"]
    post = await new_post(client, ada["id"], published=True)
    assert post["author"]["image_url"] == user["image_url"]
    listed = (await anonymous.get("/posts")).json()["items"][0]["author"]
    assert listed["image_url"] == user["image_url"]
    for size in (64, 128, 256):
        served = await anonymous.get(f"/pictures/{digest}/{size}")
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/webp"
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert served.headers["etag"] == f'"{digest}"'
        assert served.headers["x-content-type-options"] == "nosniff"
        assert decoded(served.content).size == (size, size)
        cached = await anonymous.get(
            f"/pictures/{digest}/{size}", headers={"If-None-Match": f'"{digest}"'}
        )
        assert cached.status_code == 304 and cached.content == b""
        assert cached.headers["etag"] == f'"{digest}"'


async def test_the_picture_is_the_centre_square(
    anonymous: httpx.AsyncClient,
) -> None:
    ada, auth = await account(anonymous, "ada")
    wide = Image.new("RGB", (300, 100), RED)
    wide.paste(GREEN, (100, 0, 200, 100))
    wide.paste(BLUE, (200, 0, 300, 100))
    digest = await uploaded(anonymous, ada["id"], encoded(wide, "PNG"), auth)
    image = decoded((await anonymous.get(f"/pictures/{digest}/64")).content).convert("RGB")
    for xy in ((2, 2), (61, 2), (32, 32), (2, 61), (61, 61)):
        assert near(image.getpixel(xy), GREEN), xy


async def test_exif_is_dropped_after_turning_the_picture_upright(
    anonymous: httpx.AsyncClient,
) -> None:
    ada, auth = await account(anonymous, "ada")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90 degrees clockwise to show
    exif[0x010F] = "SpyCam"  # make
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    source = encoded(halves((200, 100), RED, BLUE), "JPEG", exif=exif.tobytes(), quality=95)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)  # the upload has GPS
    digest = await uploaded(anonymous, ada["id"], source, auth)
    for size in (64, 128, 256):
        body = (await anonymous.get(f"/pictures/{digest}/{size}")).content
        image = decoded(body)
        assert not image.getexif() and not {"exif", "icc_profile", "xmp"} & set(image.info)
        assert b"Exif" not in body and b"SpyCam" not in body
    # Upright: the left half (red) is now the top, the right half (blue) the bottom.
    image = decoded((await anonymous.get(f"/pictures/{digest}/64")).content).convert("RGB")
    assert near(image.getpixel((54, 8)), RED) and near(image.getpixel((8, 54)), BLUE)


async def test_the_type_is_decided_by_the_content(anonymous: httpx.AsyncClient) -> None:
    ada, auth = await account(anonymous, "ada")
    png = photo("PNG")
    response = await upload(anonymous, ada["id"], png, auth, "x.jpg", "image/jpeg")
    assert response.status_code == 200, response.text
    response = await upload(anonymous, ada["id"], png, auth, "x.exe", "application/octet-stream")
    assert response.status_code == 200, response.text


async def test_a_polyglot_keeps_only_its_pixels(anonymous: httpx.AsyncClient) -> None:
    ada, auth = await account(anonymous, "ada")
    script = b"<script>alert(document.cookie)</script><?php system($_GET['c']); ?>"
    digest = await uploaded(anonymous, ada["id"], photo("JPEG") + script, auth)
    for size in (64, 128, 256):
        body = (await anonymous.get(f"/pictures/{digest}/{size}")).content
        assert b"<script" not in body and b"<?php" not in body
        decoded(body)


# -- uploads that are not -----------------------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def _gif() -> bytes:
    return encoded(Image.new("RGB", (64, 64), RED), "GIF")


def _truncated() -> bytes:
    whole = photo("JPEG", (400, 400))
    return whole[: len(whole) // 2]


def _bomb(width: int, height: int) -> bytes:
    return with_declared_size(encoded(Image.new("L", (1, 1)), "PNG"), width, height)


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "message"),
    [
        pytest.param(SVG, "me.svg", "image/svg+xml", NOT_AN_IMAGE, id="svg"),
        pytest.param(SVG, "me.png", "image/png", NOT_AN_IMAGE, id="svg-named-png"),
        pytest.param(HTML, "me.png", "image/png", NOT_AN_IMAGE, id="html-named-png"),
        pytest.param(_gif(), "me.gif", "image/gif", NOT_AN_IMAGE, id="gif"),
        pytest.param(
            b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj",
            "me.pdf",
            "application/pdf",
            NOT_AN_IMAGE,
            id="pdf",
        ),
        pytest.param(b"just some words", "me.jpg", "image/jpeg", NOT_AN_IMAGE, id="text"),
        pytest.param(
            b"\xff\xd8\xff\xe0" + b"\x00" * 64,
            "me.jpg",
            "image/jpeg",
            NOT_AN_IMAGE,
            id="jpeg-magic-only",
        ),
        pytest.param(b"", "me.jpg", "image/jpeg", EMPTY, id="empty"),
        pytest.param(_truncated(), "me.jpg", "image/jpeg", UNREADABLE, id="truncated-jpeg"),
        pytest.param(
            _bomb(100_000, 100_000), "me.png", "image/png", TOO_MANY_PIXELS, id="bomb-10-gigapixels"
        ),
        pytest.param(
            _bomb(6_000, 5_000), "me.png", "image/png", TOO_MANY_PIXELS, id="bomb-30-megapixels"
        ),
    ],
)
async def test_what_is_not_a_picture_is_a_clear_422(
    anonymous: httpx.AsyncClient, data: bytes, filename: str, content_type: str, message: str
) -> None:
    ada, auth = await account(anonymous, "ada")
    response = await upload(anonymous, ada["id"], data, auth, filename, content_type)
    assert rejection(response) == message
    # Nothing changed.
    assert (await anonymous.get(f"/users/{ada['id']}")).json()["image_url"] == DEFAULT_URL


@pytest.mark.parametrize("extra", [1, 3 * 1024 * 1024])
async def test_a_file_over_2_mb_is_413_naming_the_limit(
    anonymous: httpx.AsyncClient, extra: int
) -> None:
    ada, auth = await account(anonymous, "ada")
    image = photo("PNG")
    data = image + b"\0" * (MAX_BYTES + extra - len(image))
    response = await upload(anonymous, ada["id"], data, auth, "big.png", "image/png")
    assert response.status_code == 413
    assert "2 MB" in response.json()["detail"] and str(MAX_BYTES) in response.json()["detail"]


async def test_just_under_2_mb_is_taken_while_other_routes_keep_1_mib(
    anonymous: httpx.AsyncClient,
) -> None:
    ada, auth = await account(anonymous, "ada")
    image = photo("PNG")
    padded = image + b"\0" * (MAX_BYTES - len(image))  # PNG ignores what follows its end
    assert (await upload(anonymous, ada["id"], padded, auth)).status_code == 200
    big_json = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    response = await anonymous.patch(
        f"/users/{ada['id']}",
        content=big_json,
        headers={**auth, "content-type": "application/json"},
    )
    assert response.status_code == 413 and "1048576" in response.json()["detail"]


async def test_a_body_that_is_not_the_form_is_a_clean_4xx(anonymous: httpx.AsyncClient) -> None:
    ada, auth = await account(anonymous, "ada")
    path = f"/users/{ada['id']}/picture"
    as_json = await anonymous.put(path, json={"picture": "aGVsbG8="}, headers=auth)
    assert as_json.status_code == 422
    wrong_field = await anonymous.put(
        path, files={"file": ("me.png", photo("PNG"), "image/png")}, headers=auth
    )
    assert wrong_field.status_code == 422
    assert wrong_field.json()["detail"][0]["loc"] == ["body", "picture"]
    as_text = await anonymous.put(path, data={"picture": "not a file"}, headers=auth)
    assert as_text.status_code == 422
    broken = await anonymous.put(
        path,
        content=b'--x\r\nContent-Disposition: form-data; name="picture"',
        headers={**auth, "content-type": "multipart/form-data; boundary=x"},
    )
    assert 400 <= broken.status_code < 500
    nothing = await anonymous.put(path, headers=auth)
    assert nothing.status_code == 422


# -- who may ------------------------------------------------------------------------


async def test_only_the_user_and_admins_set_or_remove_a_picture(
    anonymous: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    ada, ada_auth = await account(anonymous, "ada")
    _, bob_auth = await account(anonymous, "bob")
    image = photo("PNG")
    assert (await upload(anonymous, ada["id"], image)).status_code == 401
    assert (await anonymous.delete(f"/users/{ada['id']}/picture")).status_code == 401
    assert (await upload(anonymous, ada["id"], image, bob_auth)).status_code == 403
    refused = await anonymous.delete(f"/users/{ada['id']}/picture", headers=bob_auth)
    assert refused.status_code == 403
    assert (await anonymous.get(f"/users/{ada['id']}")).json()["image_url"] == DEFAULT_URL
    assert (await upload(anonymous, ada["id"], image, ada_auth)).status_code == 200
    removed = await anonymous.delete(f"/users/{ada['id']}/picture", headers=ada_auth)
    assert removed.status_code == 200
    # An admin may, for anyone; an unknown user is a 404.
    assert (await upload(client, ada["id"], image)).status_code == 200
    assert (await client.delete(f"/users/{ada['id']}/picture")).status_code == 200
    assert (await upload(client, 999, image)).status_code == 404
    assert (await client.delete("/users/999/picture")).status_code == 404


# -- what is stored -----------------------------------------------------------------


async def test_a_replaced_or_removed_picture_is_gone(anonymous: httpx.AsyncClient) -> None:
    ada, auth = await account(anonymous, "ada")
    first = await uploaded(anonymous, ada["id"], photo("JPEG", seed=1), auth)
    second = await uploaded(anonymous, ada["id"], photo("JPEG", seed=2), auth)
    assert first != second
    assert (await anonymous.get(f"/pictures/{first}/256")).status_code == 404
    assert (await anonymous.get(f"/pictures/{second}/256")).status_code == 200
    removed = await anonymous.delete(f"/users/{ada['id']}/picture", headers=auth)
    assert removed.status_code == 200 and removed.json()["image_url"] == DEFAULT_URL
    missing = await anonymous.get(f"/pictures/{second}/64")
    assert missing.status_code == 404 and missing.json() == {"detail": "Picture not found"}
    # Removing it again changes nothing.
    again = await anonymous.delete(f"/users/{ada['id']}/picture", headers=auth)
    assert again.status_code == 200 and again.headers["etag"] == removed.headers["etag"]


async def test_the_same_picture_is_stored_once_and_kept_while_someone_has_it(
    anonymous: httpx.AsyncClient,
) -> None:
    ada, ada_auth = await account(anonymous, "ada")
    bob, bob_auth = await account(anonymous, "bob")
    shared = photo("PNG", seed=3)
    digest = await uploaded(anonymous, ada["id"], shared, ada_auth)
    assert await uploaded(anonymous, bob["id"], shared, bob_auth) == digest
    await uploaded(anonymous, ada["id"], photo("PNG", seed=4), ada_auth)
    assert (await anonymous.get(f"/pictures/{digest}/128")).status_code == 200  # Bob's still
    assert (await anonymous.delete(f"/users/{bob['id']}/picture", headers=bob_auth)).is_success
    assert (await anonymous.get(f"/pictures/{digest}/128")).status_code == 404


async def test_deleting_a_user_deletes_their_picture_unless_shared(
    anonymous: httpx.AsyncClient,
) -> None:
    ada, ada_auth = await account(anonymous, "ada")
    bob, bob_auth = await account(anonymous, "bob")
    own = await uploaded(anonymous, ada["id"], photo("WEBP", seed=5), ada_auth)
    assert (await anonymous.delete(f"/users/{ada['id']}", headers=ada_auth)).status_code == 204
    assert (await anonymous.get(f"/pictures/{own}/256")).status_code == 404
    cat, cat_auth = await account(anonymous, "cat")
    shared = await uploaded(anonymous, bob["id"], photo("WEBP", seed=6), bob_auth)
    assert await uploaded(anonymous, cat["id"], photo("WEBP", seed=6), cat_auth) == shared
    assert (await anonymous.delete(f"/users/{bob['id']}", headers=bob_auth)).status_code == 204
    assert (await anonymous.get(f"/pictures/{shared}/256")).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/pictures/" + "0" * 64 + "/256",
        "/pictures/" + "A" * 64 + "/256",
        "/pictures/not-a-digest/64",
        "/pictures/" + "0" * 64 + "/100",
    ],
)
async def test_unknown_pictures_and_sizes_are_404(anonymous: httpx.AsyncClient, path: str) -> None:
    response = await anonymous.get(path)
    assert response.status_code == 404 and response.json()["detail"]


async def test_concurrent_changes_keep_exactly_the_pictures_in_use(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    # Few enough that the stand-in, which runs one transaction at a time, stays
    # within DB_TIMEOUT on a loaded machine; PostgreSQL and MariaDB really interleave them.
    users = [await account(anonymous, f"user{i}") for i in range(4)]
    shared = [photo("PNG", seed=7), photo("PNG", seed=8), photo("JPEG", seed=9)]

    async def churn(index: int, user: dict[str, Any], auth: dict[str, str]) -> None:
        for step in range(3):
            response = await upload(anonymous, user["id"], shared[(index + step) % 3], auth)
            assert response.status_code == 200, response.text
            if (index + step) % 3 == 0:
                removed = await anonymous.delete(f"/users/{user['id']}/picture", headers=auth)
                assert removed.status_code == 200, removed.text

    await asyncio.gather(*(churn(i, user, auth) for i, (user, auth) in enumerate(users)))
    shown = [(await anonymous.get(f"/users/{user['id']}")).json() for user, _ in users]
    in_use = {user["image_url"] for user in shown} - {DEFAULT_URL}
    assert in_use  # the last step of most users is an upload
    for url in in_use:
        assert (await anonymous.get(url)).status_code == 200
    stored = await app.state.storage.transfer.census(PictureRecord)
    assert stored.count == len(in_use)


async def ten_uploads_at_once(client: httpx.AsyncClient) -> None:
    """One user uploads ten pictures at once: every one is taken, the store keeps answering."""
    user, auth = await account(client, "eager")
    pictures = [photo("PNG", seed=seed) for seed in range(10)]
    responses = await asyncio.gather(*(upload(client, user["id"], p, auth) for p in pictures))
    assert [r.status_code for r in responses] == [200] * 10, [r.text for r in responses]
    shown = (await client.get(f"/users/{user['id']}")).json()["image_url"]
    assert shown in {r.json()["image_url"] for r in responses}
    assert (await client.get(shown)).status_code == 200
    assert (await account(client, "after"))[0]["id"] > user["id"]


async def test_concurrent_uploads_by_one_user_all_succeed(anonymous: httpx.AsyncClient) -> None:
    await ten_uploads_at_once(anonymous)


async def test_concurrent_uploads_on_the_standin_file_engine(tmp_path: Path) -> None:
    # MONGO_URL=mongoeco:///file (the stand-in's SQLite engine, what `serve` offers for
    # development): a plain write overlapping another request's transaction stalled the
    # stand-in until every request timed out, and a transaction abandoned at the
    # deadline then stayed open on it for good (every later request: 503).
    case = BackendCase("mongoeco-file", "mongo", None)
    url = f"mongoeco:///{tmp_path / 'app-mongo.db'}"
    await migrate_storage("mongo", database_url="", mongo_url=url)
    async with running_app(case, url) as application, http_client(application) as client:
        await ten_uploads_at_once(client)


QUICK_DEADLINE = {
    "db_timeout": 1.0,
    "db_connect_timeout": 1.0,
    "db_pool_timeout": 1.0,
    "db_statement_timeout": 1.0,
}


async def test_an_upload_past_the_deadline_is_503_and_leaves_nothing_behind(
    backend: BackendCase, database_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The transaction has written the picture when the deadline passes: it must be
    # rolled back (on MongoDB: aborted, although the deadline that would bound the
    # abort has passed too), or the stand-in kept it open and later committed it.
    from storage.mongo.pictures import MongoPictureStore
    from storage.sql import pictures as sql_pictures

    url = database_urls[backend.id]
    async with (
        running_app(backend, url, **QUICK_DEADLINE) as application,
        http_client(application) as client,
    ):
        user, auth = await account(client, "late")
        # The step after the picture's write, on each store.
        owner: Any = MongoPictureStore if backend.backend == "mongo" else sql_pictures
        original = owner._name

        async def stalled(*args: Any) -> Any:
            await asyncio.sleep(1.5)
            return await original(*args)

        monkeypatch.setattr(owner, "_name", stalled)
        late = await upload(client, user["id"], photo("PNG", seed=1), auth)
        assert late.status_code == 503, late.text
        monkeypatch.undo()
        census = application.state.storage.transfer.census
        assert (await census(PictureRecord)).count == 0
        shown = (await client.get(f"/users/{user['id']}")).json()["image_url"]
        assert shown == DEFAULT_URL
        await uploaded(client, user["id"], photo("PNG", seed=2), auth)
        assert (await census(PictureRecord)).count == 1


async def test_users_sharing_a_picture_who_remove_it_at_once_leave_none_stored(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    # Each removal saw the other user still naming the picture (neither had
    # committed), so neither deleted it: a picture nobody used stayed stored.
    first, second = await account(anonymous, "first"), await account(anonymous, "second")
    census = app.state.storage.transfer.census
    for seed in range(6):
        shared = photo("PNG", seed=seed)
        for user, auth in (first, second):
            await uploaded(anonymous, user["id"], shared, auth)
        removals = await asyncio.gather(
            *(
                anonymous.delete(f"/users/{user['id']}/picture", headers=auth)
                for user, auth in (first, second)
            )
        )
        assert [r.status_code for r in removals] == [200, 200], [r.text for r in removals]
        assert (await census(PictureRecord)).count == 0, seed
