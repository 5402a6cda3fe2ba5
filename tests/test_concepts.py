"""The knowledge: every shipped page passes the format and its snippet really runs."""

from __future__ import annotations

import pytest

from kb.check import run_snippets
from kb.pages import load_library, page_files

from conftest import CONCEPTS

pytestmark = pytest.mark.slow  # see conftest: the real thing

PAGE_FILES = page_files(CONCEPTS)


def test_every_page_loads_without_problems():
    library = load_library([(CONCEPTS, "built-in")])
    assert [str(p) for p in library.problems] == []
    assert len(library) == len(PAGE_FILES) >= 8


@pytest.fixture(scope="module")
def snippet_runs():
    """Every snippet, run side by side (one per core) once; each page's test then reads its own result."""
    library = load_library([(CONCEPTS, "built-in")])
    return run_snippets(library.pages.values(), timeout=180)


@pytest.mark.parametrize("path", PAGE_FILES, ids=[f"{p.parent.name}/{p.stem}" for p in PAGE_FILES])
def test_snippet_runs(path, snippet_runs):
    from kb.pages import parse_page

    page, _ = parse_page(path)
    assert page is not None and page.snippet.strip()
    assert "# <- change this" in page.snippet, "mark the knob to change"
    result = snippet_runs[page.slug]
    assert result.ok, result.output[-3000:]
    assert result.output.strip(), "a snippet teaches by printing what it shows"
    assert "Traceback" not in result.output and "Warning" not in result.output, result.output[-2000:]
