"""Faults a user or a broken file can cause (issue 22): each reproduced first, each ending in one clear line, a
documented exit code, the right answer or a rebuilt index; never a traceback, a hang or a silent wrong answer.
Fast where the logic can be reached without the model; the rest runs the real thing and is slow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import kb
from kb import cache
from kb.errors import ModelError, UsageError
from kb.evaluate import load_cases
from kb.index import CorruptIndex, read_index
from kb.pages import load_library, parse_page
from kb.query import decode, exact_source, make_query, prepare
from kb.shapes import QUERY_ECHO_CHARS, answer_dict
from kb.skeleton import new_page

from conftest import page_text, run_kb, write_page
from fakes import HashEmbedder


def fake(tmp_path, concepts=(), notices=None, builtin=True):
    return kb.Engine(
        list(concepts),
        home=tmp_path / "home",
        embedder=HashEmbedder(),
        builtin=builtin,
        notify=(notices.append if notices is not None else lambda _m: None),
    )


# ---------------------------------------------------------------- 1. a page with a repeated section


def repeated_section_page(root: Path) -> Path:
    text = page_text(symptoms=[f"doubled heading symptom {i}" for i in range(6)])
    text = text.replace("## Why", "## You see\n\nSeen twice.\n\n## Why")
    return write_page(root, "debugging", "doubled", text=text)


def test_a_repeated_section_heading_is_a_problem_not_a_crash(tmp_path):
    path = repeated_section_page(tmp_path / "own")
    page, problems = parse_page(path)
    assert page is not None and "Seen twice" not in page.sections["You see"]  # the first one counts
    assert any("'## You see' appears twice" in p.message for p in problems)
    engine = fake(tmp_path, [tmp_path / "own"])
    assert engine.ask("doubled heading symptom 3").best.slug == "doubled"
    assert [p.slug for p in engine.pages("debugging") if p.slug == "doubled"] == ["doubled"]
    checked = run_kb("check", str(tmp_path / "own"))
    assert checked.returncode == 1 and b"appears twice" in checked.stdout and b"Traceback" not in checked.stderr


def test_a_parser_bug_costs_one_page_not_the_library(tmp_path, monkeypatch):
    from kb import pages

    write_page(tmp_path, "debugging", "fine-page")
    write_page(tmp_path, "debugging", "bad-page")
    real = pages.parse_page

    def explode(path, origin="built-in"):
        if path.stem == "bad-page":
            raise StopIteration  # what the section linter used to raise
        return real(path, origin)

    monkeypatch.setattr(pages, "parse_page", explode)
    library = load_library([(tmp_path, "test")])
    assert set(library.pages) == {"fine-page"}
    assert any("kb could not read this page (StopIteration" in p.message for p in library.problems)


# ---------------------------------------------------------------- 2. a damaged model never writes NaN vectors


class NanEmbedder(HashEmbedder):
    name = "nan-embedder"

    def encode(self, texts, batch_size=32):
        return np.full((len(texts), self.dim), np.nan, dtype=np.float32)


def test_nan_vectors_are_refused_and_no_index_is_written(tmp_path):
    write_page(tmp_path / "own", "debugging", "some-page")
    engine = kb.Engine(
        [tmp_path / "own"], builtin=False, home=tmp_path / "home", embedder=NanEmbedder(), notify=lambda _m: None
    )
    with pytest.raises(ModelError, match="invalid vectors"):
        engine.build_index()
    assert not list((tmp_path / "home").rglob("*.kbi"))


def test_a_donor_index_with_nan_vectors_is_not_copied(tmp_path):
    write_page(tmp_path / "a", "debugging", "shared-page", title="Shared page")
    first = fake(tmp_path, [tmp_path / "a"], builtin=False)
    first.build_index()
    index = read_index(first.index_file)
    index.vectors = np.full_like(np.asarray(index.vectors), np.nan)
    from kb.index import write_index

    write_index(index, first.index_file)  # a donor damaged by an earlier broken model
    write_page(tmp_path / "b", "data", "other-page", title="Other page")
    second = fake(tmp_path, [tmp_path / "a", tmp_path / "b"], builtin=False)
    stats = second.build_index()
    assert stats.embedded_pages == 2  # the shared page was embedded again, not copied
    assert np.isfinite(np.asarray(read_index(second.index_file).vectors)).all()


def test_an_index_made_by_another_model_export_is_rebuilt(tmp_path):
    write_page(tmp_path / "own", "debugging", "some-page")
    engine = fake(tmp_path, [tmp_path / "own"], builtin=False)
    engine.build_index()
    other = HashEmbedder()
    other.identity = "another-export"
    again = kb.Engine([tmp_path / "own"], builtin=False, home=tmp_path / "home", embedder=other, notify=lambda _m: None)
    assert again.build_index() is not None  # not "up to date": its vectors came from other model files
    assert read_index(again.index_file).model_id == "another-export"


# ---------------------------------------------------------------- 4. races and encodings


def test_a_page_gone_while_answering_is_skipped(tmp_path):
    engine = fake(tmp_path)
    best = engine.ask("CUDA out of memory", k=3).best.slug
    real = engine._page_of
    engine._pages_read.clear()
    engine._searcher.page_of = lambda slug: None if slug == best else real(slug)
    answer = engine.ask("CUDA out of memory", k=3)
    assert best not in [r.slug for r in answer.results] and len(answer.results) == 3


def test_undecodable_bytes_in_a_query_are_replaced(tmp_path):
    engine = fake(tmp_path)
    answer = engine.ask("loss \udcff\udcfe is nan and \ud800 more")
    assert "\ufffd" in answer.query and json.dumps(answer_dict(answer), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"- {q: \xff\xfe, expect: []}\n", "not UTF-8"),
        (b"- {q: hello, expect: [[nested]]}\n", "is not {q: str"),
        (b"- {q: hello, expect: [{a: 1}]}\n", "is not {q: str"),
        (b"[" * 100_000, "bad YAML"),
    ],
)
def test_bad_eval_files_are_usage_errors(tmp_path, content, message):
    path = tmp_path / "eval.yaml"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        load_cases(path)


@pytest.mark.parametrize("redirect", [">/dev/full", ">&-"])
def test_output_to_a_full_or_closed_stdout_is_one_line(redirect):
    done = subprocess.run(f"'{sys.executable}' -m kb list {redirect}", shell=True, capture_output=True, timeout=120)
    assert done.returncode == 4, done.stderr
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kb: ") and b"Traceback" not in done.stderr


# ---------------------------------------------------------------- 5. trust made visible


def test_an_overriding_page_is_named_once(tmp_path):
    write_page(tmp_path / "own", "debugging", "nan-loss", title="Our NaN page")
    notices = []
    fake(tmp_path, [tmp_path / "own"], notices).ask("loss is nan")
    said = [n for n in notices if "instead of the built-in page nan-loss" in n]
    assert len(said) == 1 and str(tmp_path / "own" / "debugging" / "nan-loss.md") in said[0]
    again = []
    fake(tmp_path, [tmp_path / "own"], again).ask("loss is nan")
    assert not [n for n in again if "instead of the built-in" in n]  # the first time only


def test_snippet_says_where_its_code_comes_from(tmp_path):
    write_page(tmp_path / "own", "debugging", "nan-loss", title="Our NaN page", snippet="print('ours')")
    done = run_kb("snippet", "nan-loss", "--concepts", str(tmp_path / "own"), env={"KB_HOME": str(tmp_path / "h")})
    assert done.stdout == b"print('ours')\n"
    assert f"from {tmp_path / 'own' / 'debugging' / 'nan-loss.md'} (not a built-in page)".encode() in done.stderr
    builtin = run_kb("snippet", "nan-loss", env={"KB_HOME": str(tmp_path / "h")})
    assert b"from the built-in page" in builtin.stderr


def test_terminal_escapes_in_a_page_never_reach_the_screen(tmp_path):
    text = page_text(title="Evil \x1b]0;pwned\x07title \x1b[2J", summary="Sum\x1b[31mmary\x9b.")
    page, _ = parse_page(write_page(tmp_path, "debugging", "evil-page", text=text))
    assert page.title == "Evil title" and page.summary == "Summary."


def test_the_index_header_is_covered_by_its_checksum(tmp_path):
    engine = fake(tmp_path)
    engine.build_index()
    blob = engine.index_file.read_bytes()
    start = blob.index(b'"created": "2') + len(b'"created": "')
    tampered = blob[:start] + b"1" + blob[start + 1 :]  # the year 2026 -> 1026: same length, header only
    engine.index_file.write_bytes(tampered)
    with pytest.raises(CorruptIndex, match="header checksum"):
        read_index(engine.index_file)


# ---------------------------------------------------------------- 6. kb new


def test_kb_new_never_writes_through_a_file_a_symlink_or_bad_yaml(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(UsageError, match="cannot write"):
        new_page("good-slug", "debugging", tmp_path / "afile")
    (tmp_path / "d" / "debugging").mkdir(parents=True)
    (tmp_path / "d" / "debugging" / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    with pytest.raises(UsageError, match="already exists"):
        new_page("dangling", "debugging", tmp_path / "d")
    assert not (tmp_path / "nowhere.md").exists()
    with pytest.raises(UsageError, match="not a slug"):
        new_page("a" * 300, "debugging", tmp_path / "d")
    with pytest.raises(UsageError, match="one line"):
        new_page("two-lines", "debugging", tmp_path / "d", title="Loss\nsymptoms: [x]")
    path = new_page("colon-title", "debugging", tmp_path / "d", title="Loss: why it is nan # really")
    page, _ = parse_page(path)
    assert page is not None and page.title == "Loss: why it is nan # really"


def test_kb_check_on_project_pages_accepts_links_to_built_in_pages(tmp_path):
    write_page(tmp_path / ".kb" / "concepts", "debugging", "our-page", related=["nan-loss", "learning-rate"])
    done = run_kb("check", str(tmp_path / ".kb" / "concepts"))
    assert b"has no page" not in done.stdout, done.stdout


# ---------------------------------------------------------------- 7. cost and clutter


def test_a_10_mb_paste_is_read_in_one_pass():
    log = "".join(f"[2026-01-01] INFO step {i} loss {1 / (i + 1):.4f} lr 3e-4\n" for i in range(180_000))
    log += "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n"
    started = time.perf_counter()
    query = prepare(log)
    assert time.perf_counter() - started < 5
    assert query.startswith("torch.OutOfMemoryError")
    assert len(exact_source(log)) < 25_000 and "OutOfMemoryError" in exact_source(log)
    made = make_query(log)
    assert len(made.exact_texts[0]) < 25_000


def test_a_pasted_log_is_not_echoed_whole(tmp_path):
    engine = fake(tmp_path)
    answer = engine.ask("loss is nan " * 2000)
    data = answer_dict(answer)
    assert data["query_truncated"] is True and len(data["query"]) < QUERY_ECHO_CHARS + 100
    assert "query_truncated" not in answer_dict(engine.ask("loss is nan"))


def test_oversized_input_and_pages_stop_with_one_clear_message(tmp_path):
    with pytest.raises(UsageError, match="more than 10 MB"):
        decode(b"x" * (11 * 2**20))
    big = write_page(tmp_path, "debugging", "huge-page", text=page_text() + "x" * (300 * 1024))
    page, problems = parse_page(big)
    assert page is None and "more than 256 KB" in problems[0].message


def test_stale_temporary_files_and_unused_indexes_are_pruned(tmp_path):
    home = tmp_path / "home"
    (home / "index").mkdir(parents=True)
    (home / "models").mkdir()
    stale_tmp = home / "index" / ".x.kbi.123.tmp"
    fresh_tmp = home / "index" / ".y.kbi.456.tmp"
    old_index, used_index = home / "index" / "m-old.kbi", home / "index" / "m-used.kbi"
    export_tmp = home / "models" / ".export-abc"
    for path in (stale_tmp, fresh_tmp, old_index, used_index):
        path.write_bytes(b"x")
    export_tmp.mkdir()
    long_ago = time.time() - 40 * 86400
    for path in (stale_tmp, old_index, export_tmp):
        os.utime(path, (long_ago, long_ago))
    removed = cache.prune(home)
    assert set(removed) == {stale_tmp, old_index, export_tmp}
    assert fresh_tmp.exists() and used_index.exists()
    assert {e.kind for e in cache.inventory(home)} == {"index", "temporary"}
    cache.clear(home)
    assert not (home / "index").exists() and home.exists()


# ---------------------------------------------------------------- 8. messages


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", "-k", "0", "x"], "0 is not in the range"),
        (["ask", "--format", "bogus", "x"], "'bogus' is not one of"),
        (["ask", "--concepts", "/no/such/dir", "x"], "no such directory"),
        (["show", "x" * 100_000], "no page 'xxxx"),
    ],
)
def test_usage_errors_are_one_line(args, message):
    done = run_kb(*args)
    assert done.returncode in (2, 3), done.stderr
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kb: ") and message in lines[0] and len(lines[0]) < 400


def test_unreadable_category_folders_are_reported(tmp_path):
    write_page(tmp_path, "debugging", "fine-page")
    (tmp_path / "looping").symlink_to(tmp_path / "looping")
    library = load_library([(tmp_path, "test")])
    assert "fine-page" in library.pages
    assert any("cannot read this category folder" in p.message for p in library.problems)


def test_a_page_with_a_byte_order_mark_parses(tmp_path):
    path = tmp_path / "debugging" / "bom-page.md"
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbf" + page_text().encode())
    page, problems = parse_page(path)
    assert page is not None and not [p for p in problems if p.fatal]
