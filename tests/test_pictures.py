"""Profile pictures on every backend: the default one, uploads, serving, caching."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from tests.helpers import new_post, new_user

pytestmark = pytest.mark.anyio

DEFAULT_URL = "/pictures/default/256"


def decoded(body: bytes) -> Image.Image:
    """The served bytes as an image, checked to be a WebP."""
    image = Image.open(io.BytesIO(body))
    image.load()
    assert image.format == "WEBP"
    return image


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


@pytest.mark.parametrize("size", ["0", "100", "512", "big"])
async def test_other_default_sizes_are_refused(anonymous: httpx.AsyncClient, size: str) -> None:
    response = await anonymous.get(f"/pictures/default/{size}")
    assert response.status_code == 422
