"""The pages' small rules, one by one: content negotiation, links, dates, form messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.types import PostCreate
from web.forms import validate
from web.negotiation import quality
from web.rendering import excerpt, iso, paragraphs, readable_date, safe_url

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "html", "json"),
    [
        (BROWSER, 1.0, 0.8),
        ("*/*", 1.0, 1.0),
        ("", 0.0, 0.0),
        ("application/json", 0.0, 1.0),
        ("text/*;q=0.5, application/json;q=0.4", 0.5, 0.4),
        ("text/html;q=0, */*", 0.0, 1.0),
        ("text/html;q=banana", 0.0, 0.0),
        ("text/html;q=NaN, application/json;q=0.1", 0.0, 0.1),
        ("text/html;q=1e999", 0.0, 0.0),
        ("text/html;q=inf, application/json;q=-1", 0.0, 0.0),
        ("text/html;q=0.125", 0.125, 0.0),
        ("text/html; q=1.000", 1.0, 0.0),
    ],
)
def test_quality_takes_the_most_specific_range(accept: str, html: float, json: float) -> None:
    assert quality(accept, "text/html") == html
    assert quality(accept, "application/json") == json


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("/pictures/default/256", "/pictures/default/256"),
        ("https://example.com/a.png", "https://example.com/a.png"),
        ("javascript:alert(1)", "#"),
        (" JaVaScRiPt:alert(1)", "#"),
        ("data:text/html,<script>", "#"),
        ("//evil.example/x.png", "#"),
        ("vbscript:x", "#"),
        (None, "#"),
    ],
)
def test_links_from_stored_values_never_run_script(given: object, shown: str) -> None:
    assert safe_url(given) == shown


def test_dates_read_the_same_in_every_locale() -> None:
    moment = datetime(2026, 11, 29, 23, 59, 1, 120000, tzinfo=UTC)
    assert readable_date(moment) == "29 Nov 2026"
    assert iso(moment) == "2026-11-29T23:59:01Z"
    assert readable_date(datetime(2027, 1, 5, tzinfo=UTC)) == "5 Jan 2027"


def test_excerpts_cut_at_a_word() -> None:
    assert excerpt("short") == "short"
    assert excerpt("word " * 100, 12) == "word word…"


def test_form_errors_are_per_field_and_in_characters() -> None:
    post, errors = validate(PostCreate, {"title": "Shrt", "content": "x" * 20, "tags": ["a b"]})
    assert post is None
    assert errors["title"] == "Must be at least 5 characters"
    assert "tags" in errors
    post, errors = validate(PostCreate, {"title": "A fine title", "content": "y" * 20})
    assert post is not None and errors == {}


def test_paragraphs_split_at_blank_lines_whatever_the_line_ends() -> None:
    assert paragraphs("One\r\n\r\nTwo\nstill two\n \nThree") == ["One", "Two\nstill two", "Three"]
    assert paragraphs("") == []
