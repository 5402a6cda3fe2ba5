"""Rendering (fast tier): the one registry of output formats, and each format's layout."""

from __future__ import annotations

import json

import pytest

from kb.errors import UsageError
from kb.formats import formats_of, render
from kb.render import NO_MATCH


@pytest.fixture(scope="module")
def answer(fake_engine):
    return fake_engine.ask("RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB", k=3)


def test_every_kind_has_its_formats():
    assert set(formats_of("answer")) == {"text", "markdown", "json", "terminal"}
    assert set(formats_of("page")) == {"text", "markdown", "json", "terminal"}
    assert set(formats_of("pages")) == {"text", "json", "terminal"}
    assert set(formats_of("eval")) == {"text", "json", "terminal"}
    assert set(formats_of("diagnosis")) == {"text", "markdown", "json", "terminal"}


def test_an_unknown_format_fails_loudly(answer):
    with pytest.raises(UsageError, match="--format yaml: not a format here"):
        render("answer", answer, "yaml")
    with pytest.raises(UsageError, match="choose text, json"):
        render("pages", [], "markdown")


def test_answer_json_is_the_documented_shape(answer):
    data = json.loads(render("answer", answer, "json"))
    assert list(data) == ["version", "query", "confident", "results", "corrections"] and data["version"] == 1
    assert list(data["results"][0]) == [
        "slug",
        "title",
        "category",
        "score",
        "summary",
        "matched",
        "snippet",
        "path",
        "related",
    ]
    explained = json.loads(render("answer", answer, "json", explain=True))
    assert set(explained["results"][0]["explain"]) == {
        "dense_score",
        "dense_rank",
        "lexical_score",
        "lexical_rank",
        "matched_kind",
        "searched",
    }


def test_answer_text_and_markdown_layout(answer):
    text = render("answer", answer, "text")
    first = text.splitlines()[0]
    assert first == f"{answer.best.title}  [{answer.best.category}/{answer.best.slug}]"
    for part in (
        "Matched:",
        "Try this first:",
        f"Code to try (kb snippet {answer.best.slug}):",
        "Also:\n  2. ",
        f"More: kb show {answer.best.slug}",
    ):
        assert part in text
    assert "\x1b[" not in text
    md = render("answer", answer, "markdown")
    assert md.startswith(f"## {answer.best.title}") and "```python\n" in md and "### Also" in md


def test_no_confident_match_lists_the_nearest_pages(fake_engine):
    answer = fake_engine.ask("zzzz qqqq xxxx", k=2)
    text = render("answer", answer, "text")
    assert text.startswith(NO_MATCH) and text.count("\n") == 3


def test_terminal_format_is_rich_and_honours_no_color(answer, monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in render("answer", answer, "terminal")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[3" not in render("answer", answer, "terminal")


def test_pages_and_page(fake_engine):
    pages = fake_engine.pages("debugging")
    rows = json.loads(render("pages", pages, "json"))
    assert rows and "snippet" not in rows[0] and {"slug", "origin", "path"} <= set(rows[0])
    assert render("pages", pages, "text").splitlines()[0].startswith("debugging/")
    page = fake_engine.page("nan-loss")
    assert render("page", page, "markdown").startswith(f"# {page.title}\n")
    assert json.loads(render("page", page, "json"))["snippet"] == page.snippet


def test_plain_text_drops_emphasis_that_wraps_a_line_but_never_touches_code():
    from kb.prose import plain

    markdown = (
        "3. **Switch off regularization**, then **double the width\n   or depth**, or *a\n b*.\n"
        "Use `F.kl_div(...) * T**2` and `a*b*c`.\n4. **Weight and temperature.** Start at T = 4.\n\n**not\n\nacross**"
    )
    text = plain(markdown, "generalization")
    assert "double the width\n   or depth," in text and "or a\n b." in text
    assert "`F.kl_div(...) * T**2`" in text and "`a*b*c`" in text and "4. Weight and temperature. Start" in text
    assert "**not\n\nacross**" in text  # a blank line ends a paragraph: no emphasis spans it
