"""One text rule on every store: NFC storage, case folding for matching and uniqueness.

The rule is stated in ``storage/types/text.py`` and the README; these tests
spell out what it means for the letters where stores used to disagree.
"""

from __future__ import annotations

import httpx
import pytest

from tests.accounts import sign_up_body
from tests.helpers import created, items, new_post, new_user

pytestmark = pytest.mark.anyio


async def names_matching(client: httpx.AsyncClient, text: str) -> list[str]:
    return await items(client, "/users", key="name", name=text)


async def test_case_folding_matches_the_letters_people_write(client: httpx.AsyncClient) -> None:
    for i, name in enumerate(
        ["Straße", "STRASSE", "ẞig", "Σίσυφος", "ΣΊΣΥΦΟΣ", "ǅemal", "\u01c4EMAL", "Café", "Cafe"]
    ):
        await new_user(client, email=f"u{i}@example.com", name=name)

    assert await names_matching(client, "strasse") == ["Straße", "STRASSE"]
    assert await names_matching(client, "ß") == ["Straße", "STRASSE", "ẞig"]
    assert await names_matching(client, "σίσυφος") == ["Σίσυφος", "ΣΊΣΥΦΟΣ"]
    assert await names_matching(client, "ς") == ["Σίσυφος", "ΣΊΣΥΦΟΣ"]  # final sigma is σ
    # The digraph letters Ǆ ǅ ǆ are one letter in three cases; "dž" spelled with
    # two letters is another text (telling them apart needs compatibility folding).
    assert await names_matching(client, "\u01c6") == ["ǅemal", "\u01c4EMAL"]
    assert await names_matching(client, "d\u017e") == []
    # Accents are significant; precomposed and combining spellings are the same text.
    assert await names_matching(client, "café") == ["Café"]
    assert await names_matching(client, "cafe\u0301") == ["Café"]
    assert await names_matching(client, "cafe") == ["Cafe"]


async def test_turkish_dotted_and_dotless_i_follow_unicode_default_folding(
    client: httpx.AsyncClient,
) -> None:
    for i, name in enumerate(["İzmir", "izmir", "IZMIR", "ılık"]):
        await new_user(client, email=f"u{i}@example.com", name=name)
    # İ folds to i + combining dot above: it matches that spelling, and "i" inside it.
    assert await names_matching(client, "İzmir") == ["İzmir"]
    assert await names_matching(client, "i\u0307zmir") == ["İzmir"]
    assert await names_matching(client, "izmir") == ["izmir", "IZMIR"]
    assert await names_matching(client, "I") == ["İzmir", "izmir", "IZMIR"]
    assert await names_matching(client, "ı") == ["ılık"]  # dotless i has no case partner


async def test_text_is_stored_in_nfc_and_lengths_count_that_form(
    client: httpx.AsyncClient,
) -> None:
    decomposed = "Cafe\u0301"
    user = await new_user(client, name=decomposed)
    assert user["name"] == "Café"  # one code point for é
    # 50 letters "é" typed as e + combining accent (100 code points) fit in 50.
    assert (await client.post("/categories", json={"name": "e\u0301" * 50})).status_code == 201
    assert (await client.post("/categories", json={"name": "é" * 51})).status_code == 422


async def test_uniqueness_uses_the_same_folding(client: httpx.AsyncClient) -> None:
    await new_user(client, email="straße@example.com")
    body = sign_up_body("STRASSE@example.com", username="other")
    response = await client.post("/users", json=body)
    assert response.status_code == 409
    assert response.json() == {"detail": "Email already registered"}
    await created(client, "/categories", {"name": "Σίσυφος"})
    response = await client.post("/categories", json={"name": "ΣΊΣΥΦΟΣ"})
    assert response.status_code == 409
    assert response.json() == {"detail": "Category name already taken"}


async def test_values_that_grow_when_folded_are_checked_and_stored_whole(
    client: httpx.AsyncClient,
) -> None:
    # "İ" folds to two code points: a 50-letter name has a 100-letter key, which fits.
    category = await created(client, "/categories", {"name": "İ" * 50})
    assert category["name"] == "İ" * 50
    await created(client, "/categories", {"name": "İ" * 25})
    assert (await client.post("/categories", json={"name": "i\u0307" * 25})).status_code == 409
    # Tags are stored folded, so their length limit applies to the folded form.
    user = await new_user(client)
    assert (await new_post(client, user["id"], tags=["ß" * 15]))["tags"] == ["ss" * 15]
    response = await client.post(
        "/posts",
        json={"title": "Tagged", "content": "x" * 20, "author_id": user["id"], "tags": ["ß" * 16]},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "tags"]


async def test_query_values_are_normalised_like_body_values(client: httpx.AsyncClient) -> None:
    user = await new_user(client, name="Ada", city="Köln")
    await new_post(client, user["id"], tags=["Straße"])
    assert await items(client, "/posts", key="tags", tag=" STRASSE ") == [["strasse"]]
    assert await items(client, "/users", key="city", city=" KÖLN ") == ["Köln"]
    assert await items(client, "/users", key="city", city="ko\u0308ln") == ["Köln"]
