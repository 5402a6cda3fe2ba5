"""Stage 1 and `kb check`: the page format, and how broken pages are reported without hurting the rest."""

from __future__ import annotations

from kb.check import check_paths
from kb.pages import PagesOnDemand, builtin_concepts_dir, load_library, parse_page

from conftest import page_text, run_kb, write_page


def test_a_valid_page_parses_into_typed_fields(tmp_path):
    path = write_page(tmp_path, "debugging", "demo-page", symptoms=[f"sym {i}" for i in range(7)])
    page, problems = parse_page(path)
    assert problems == []
    assert (page.slug, page.category, page.title) == ("demo-page", "debugging", "Demo page")
    assert page.symptoms[0] == "sym 0" and len(page.symptoms) == 7
    assert page.snippet == "print('ok')\n"
    assert list(page.sections) == [
        "You see",
        "Try this first",
        "Why",
        "Check",
        "Fixes, in order",
        "Code to try",
        "Not this?",
        "Sources",
    ]
    assert page.try_first.startswith("The loss curve rises")


def test_bad_yaml_is_reported_with_its_line_and_the_page_is_skipped(tmp_path):
    write_page(tmp_path, "debugging", "good-page")
    bad = write_page(tmp_path, "debugging", "bad-page", text=page_text().replace("aliases: [demo]", "aliases: [demo"))
    library = load_library([(tmp_path, "test")])
    assert set(library.pages) == {"good-page"}
    [problem] = [p for p in library.problems if p.fatal]
    assert problem.path == bad and "bad YAML" in problem.message
    assert str(problem).startswith(f"{bad}:") and problem.line > 1


def test_missing_required_field_duplicate_slug_and_dangling_related_are_each_reported(tmp_path):
    write_page(tmp_path, "debugging", "fine")
    write_page(tmp_path, "debugging", "no-summary", text=page_text().replace('summary: "A demo page for tests."\n', ""))
    write_page(tmp_path, "data", "fine")  # same slug, other folder
    write_page(tmp_path, "data", "dangling", related=["no-such-page"])
    library = load_library([(tmp_path, "test")])
    messages = [str(p) for p in library.problems if p.fatal]
    assert any("no-summary.md:1: missing required field 'summary'" in m for m in messages)
    assert any("duplicate slug 'fine'" in m for m in messages)
    assert any("dangling.md:" in m and "related slug 'no-such-page' has no page" in m for m in messages)
    assert set(library.pages) == {"fine"}


def test_pages_parsed_on_demand_are_the_pages_load_library_keeps(tmp_path):
    # explain and diagnose parse only the pages they name; which pages exist must not depend on that
    user = tmp_path / "user"
    write_page(tmp_path, "debugging", "fine", title="Built-in fine")
    write_page(tmp_path, "debugging", "no-summary", text=page_text().replace('summary: "A demo page for tests."\n', ""))
    write_page(tmp_path, "data", "dangling", related=["no-such-page"])
    write_page(tmp_path, "data", "linked", related=["fine"])
    write_page(user, "debugging", "fine", title="User fine")  # a later directory overrides by slug
    dirs = [(tmp_path, "built-in"), (user, "user")]
    reported = []
    on_demand = PagesOnDemand(dirs, reported.append)
    assert on_demand.get("no-summary") is None and "no-summary" not in on_demand
    assert [str(p) for p in reported] and "missing required field 'summary'" in str(reported[0])
    assert on_demand["fine"].title == "User fine" and on_demand["linked"].related == ("fine",)
    assert set(on_demand) == set(load_library(dirs).pages) == {"fine", "linked"}
    builtin = [(builtin_concepts_dir(), "built-in")]
    assert set(PagesOnDemand(builtin)) == set(load_library(builtin).pages)


def test_check_reports_format_problems_as_file_line_message(tmp_path):
    text = page_text(symptoms=["only", "three", "symptoms"]).replace("## Why", "## Reasons")
    text = text.replace("## Not this?", "```python\nprint(2)\n```\n\n## Not this?")
    path = write_page(tmp_path, "debugging", "messy", text=text)
    messages = [p.message for p in check_paths([path])]
    assert "only 3 symptoms; write at least 6" in messages
    assert "missing section '## Why'" in messages
    assert (
        "unknown section '## Reasons' (allowed: You see, Try this first, Why, Check, Fixes, in order, Code to "
        "try, Not this?, Sources)" in messages
    )
    assert "expected exactly one ```python block, found 2" in messages


def test_check_flags_sections_out_of_order_and_broken_page_links(tmp_path):
    text = page_text().replace("## Why", "## TMP").replace("## Check", "## Why").replace("## TMP", "## Check")
    text = text.replace("- Nothing else.", "- [Gone](../debugging/gone-page.md): not here.")
    path = write_page(tmp_path, "debugging", "order", text=text)
    messages = [str(p) for p in check_paths([path])]
    assert any("sections out of order" in m for m in messages)
    assert any("link to 'debugging/gone-page.md' has no page" in m for m in messages)


def test_check_resolves_links_as_mkdocs_does(tmp_path):
    # "slug.md" is a page in the same folder; a hyphenated folder ("language-models") is a folder too
    write_page(tmp_path, "generalization", "elsewhere")
    write_page(tmp_path, "language-models", "neighbour")
    text = page_text().replace(
        "- Nothing else.",
        "- [Same folder](neighbour.md) and [wrong folder](elsewhere.md) and "
        "[hyphenated](../language-models/neighbour.md) and [moved](../language-models/elsewhere.md).",
    )
    path = write_page(tmp_path, "language-models", "linking", text=text)
    messages = [str(p) for p in check_paths([tmp_path])]
    broken = [m for m in messages if "link to" in m]  # both wrong links, on one line: one message
    assert len(broken) == 1, broken
    assert all("'language-models/elsewhere.md' has no page (it is in generalization/)" in m for m in broken)
    assert all(str(path) in m for m in broken)


def test_kb_check_cli_exits_nonzero_on_problems_and_zero_when_clean(tmp_path):
    write_page(tmp_path, "debugging", "clean-one")
    ok = run_kb("check", str(tmp_path))
    assert ok.returncode == 0, ok.stdout.decode() + ok.stderr.decode()
    write_page(tmp_path, "debugging", "broken", text="---\ntitle: [unclosed\n---\n")
    bad = run_kb("check", str(tmp_path))
    assert bad.returncode == 1
    assert f"{tmp_path / 'debugging' / 'broken.md'}:2: bad YAML" in bad.stdout.decode()
    assert b"Traceback" not in bad.stderr


def test_repo_pages_pass_kb_check():
    result = run_kb("check")
    assert result.returncode == 0, result.stdout.decode()


def test_kb_new_writes_a_skeleton_in_the_format_and_never_overwrites(tmp_path):
    made = run_kb("new", "weird-metric", "--category", "evaluation", "--dir", str(tmp_path))
    path = tmp_path / "evaluation" / "weird-metric.md"
    assert made.returncode == 0 and made.stdout.decode().strip() == str(path)
    page, problems = parse_page(path)
    assert page is not None and page.title == "Weird metric"
    assert [p.message for p in problems if "words of prose" not in p.message] == []
    path.write_text(path.read_text() + "\nmy notes\n")
    again = run_kb("new", "weird-metric", "--category", "evaluation", "--dir", str(tmp_path))
    assert again.returncode == 2 and b"already exists" in again.stderr
    assert path.read_text().endswith("my notes\n")
    assert run_kb("new", "Bad Slug", "-c", "data", "--dir", str(tmp_path)).returncode == 2
    assert run_kb("new", "fine-slug", "-c", "cooking", "--dir", str(tmp_path)).returncode == 2
