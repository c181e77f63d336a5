"""Hostile or absurd input gets a clear 4xx or an empty result, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.accounts import sign_up_body
from tests.helpers import items, new_post, new_user

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("text", ["%", "_", "a%", ".*", "$gt", "\\", "[a-z]+", "(", "'; --", "^"])
async def test_text_filters_are_literal(client: httpx.AsyncClient, text: str) -> None:
    author = await new_user(client, name="Plain Name", city="Plain City")
    await new_post(client, author["id"], title="Nothing special")
    assert await items(client, "/users", name=text) == []
    assert await items(client, "/users", city=text) == []
    assert await items(client, "/posts", q=text) == []
    assert await items(client, "/products", q=text) == []


async def test_metacharacters_match_themselves(client: httpx.AsyncClient) -> None:
    odd = await new_user(client, name="100% a_b .* $gt \\o/", email="odd@example.com")
    await new_user(client, name="100 percent", email="plain@example.com")
    for text in ("100%", "a_b", ".*", "$gt", "\\o/", "% A_B"):
        assert await items(client, "/users", name=text) == [odd["id"]], text


async def test_case_insensitive_beyond_ascii(client: httpx.AsyncClient) -> None:
    user = await new_user(client, name="Élodie Ørsted", city="ÅLESUND")
    assert await items(client, "/users", name="élodie ørSTED") == [user["id"]]
    assert await items(client, "/users", city="ålesund") == [user["id"]]


@pytest.mark.parametrize("bad", [{"$gt": ""}, {"$ne": None}, ["a"], 12, None])
async def test_operator_objects_where_strings_belong(
    client: httpx.AsyncClient, bad: object
) -> None:
    response = await client.post("/users", json={**sign_up_body("x@example.com"), "name": bad})
    assert response.status_code == 422
    response = await client.post("/users", json={**sign_up_body("x@example.com"), "email": bad})
    assert response.status_code == 422
    assert (await client.get("/users")).json()["total"] == 1  # the admin alone


@pytest.mark.parametrize("raw_id", ["0", "-1", "abc", "99999999999999999999", "1.5", "2147483648"])
@pytest.mark.parametrize("resource", ["users", "posts", "categories", "products"])
async def test_bad_ids_are_422(client: httpx.AsyncClient, resource: str, raw_id: str) -> None:
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"/{resource}/{raw_id}")
        assert response.status_code == 422, (method, resource, raw_id, response.text)


async def test_largest_valid_id_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/users/2147483647")).status_code == 404


async def test_huge_body_is_413(client: httpx.AsyncClient) -> None:
    body = b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'", "email": "a@b.co", "age": 1}'
    response = await client.post(
        "/users", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


async def test_huge_streamed_body_is_413(client: httpx.AsyncClient) -> None:
    async def chunks():  # no Content-Length: the limit must be counted as it arrives
        yield b'{"name": "'
        for _ in range(160):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        "/users", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"null", b"[]", b'"text"', b"\xff\xfe", b'{"name": "Abc", "email": "a@b.co"'],
)
async def test_malformed_json_is_422(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post(
        "/users", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text


async def test_numbers_out_of_range(client: httpx.AsyncClient) -> None:
    huge = 10**30
    assert (await client.get("/users", params={"min_age": huge})).status_code == 422
    assert (await client.get("/users", params={"skip": huge})).status_code == 422
    assert (await client.get("/products", params={"max_price": "1e400"})).status_code == 422
    assert (await client.get("/products", params={"min_price": "nan"})).status_code == 422
    response = await client.post("/products", json={"name": "W", "price": 1, "stock": huge})
    assert response.status_code == 422
    response = await client.post(
        "/posts", json={"title": "Hello", "content": "x" * 20, "author_id": huge}
    )
    assert response.status_code == 422


async def test_nul_characters_are_refused_everywhere(client: httpx.AsyncClient) -> None:
    body = {**sign_up_body("ada@example.com"), "name": "Ada\x00"}
    response = await client.post("/users", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]
    assert (await client.get("/users", params={"name": "a\x00"})).status_code == 422
    assert (await client.get("/posts", params={"q": "\x00"})).status_code == 422
    author = await new_user(client)
    tagged = {
        "title": "Hello there",
        "content": "x" * 20,
        "author_id": author["id"],
        "tags": ["a\x00"],
    }
    assert (await client.post("/posts", json=tagged)).status_code == 422


async def test_longest_content_of_widest_characters_round_trips(client: httpx.AsyncClient) -> None:
    author = await new_user(client)
    content = "\N{GRINNING FACE}" * 20_000  # 80,000 bytes of UTF-8
    post = await new_post(client, author["id"], content=content)
    assert (await client.get(f"/posts/{post['id']}")).json()["content"] == content


# Body booleans and integers must be JSON booleans and integers, as the schema says;
# each case is (path to create on, a valid body, the field, a value lax parsing accepted).
STRICT_FIELDS = [
    ("/users", "is_active", 0),
    ("/users", "is_active", "true"),
    ("/users", "age", "36"),
    ("/users", "age", 36.0),
    ("/users", "age", True),
    ("/posts", "published", 1),
    ("/posts", "author_id", "1"),
    ("/products", "stock", "3"),
    ("/products", "stock", False),
    ("/products", "category_id", 1.0),
]


@pytest.mark.parametrize(("path", "field", "value"), STRICT_FIELDS)
async def test_body_booleans_and_integers_are_strict(
    client: httpx.AsyncClient, path: str, field: str, value: object
) -> None:
    author = await new_user(client, email="author@example.com")
    category = (await client.post("/categories", json={"name": "Tools"})).json()
    valid = {
        "/users": sign_up_body("ada@example.com"),
        "/posts": {"title": "A fine title", "content": "x" * 20, "author_id": author["id"]},
        "/products": {"name": "Saw", "price": 5, "category_id": category["id"]},
    }[path]
    created = await client.post(path, json=valid)
    assert created.status_code == 201, created.text
    attempts = [("POST", path, {**valid, field: value})]
    if field != "author_id":  # a post's author cannot be changed
        attempts.append(("PATCH", f"{path}/{created.json()['id']}", {field: value}))
    for method, url, body in attempts:
        response = await client.request(method, url, json=body)
        assert response.status_code == 422, (method, url, response.text)
        assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]


async def test_price_takes_a_number_or_a_numeric_string(client: httpx.AsyncClient) -> None:
    for price in (12.5, "12.50", 12, "12"):
        response = await client.post("/products", json={"name": "Saw", "price": price})
        assert response.status_code == 201, (price, response.text)
        assert response.json()["price"] == float(price)
