"""Stage 2: the index file: incremental updates, corruption, concurrent builders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kb
from kb.index import read_index

from conftest import run_kb, write_page


def _engine(tmp_path, notices=None):
    return kb.Engine(
        [tmp_path / "concepts"], builtin=False, notify=(notices.append if notices is not None else lambda _m: None)
    )


def _library(tmp_path, n=4):
    for i in range(n):
        write_page(
            tmp_path / "concepts",
            "debugging",
            f"page-{i}",
            title=f"Page {i}",
            summary=f"Topic number {i} about gradient {i}.",
        )


def test_only_a_changed_page_is_reembedded(tmp_path, fresh_home, monkeypatch):
    monkeypatch.setenv("KB_HOME", str(fresh_home))
    _library(tmp_path)
    first = _engine(tmp_path).build_index()
    assert (first.pages, first.embedded_pages) == (4, 4)
    assert _engine(tmp_path).build_index() is None  # fresh: nothing to do
    page = tmp_path / "concepts" / "debugging" / "page-2.md"
    page.write_text(page.read_text().replace("Topic number 2", "Learning rate warmup for transformers"))
    notices = []
    second = _engine(tmp_path, notices).build_index()
    assert (second.pages, second.embedded_pages) == (4, 1)
    assert notices == ["updating the index: 1 page(s) changed"]
    index = read_index(second.path)
    assert index.pages["page-2"]["count"] == len(index.chunks) - 3 * index.pages["page-0"]["count"]
    forced = _engine(tmp_path).build_index(force=True)
    assert forced.embedded_pages == 4


def test_a_new_concepts_dir_reuses_vectors_of_identical_pages(tmp_path, fresh_home, monkeypatch):
    monkeypatch.setenv("KB_HOME", str(fresh_home))
    _library(tmp_path)
    _engine(tmp_path).build_index()
    extra = tmp_path / "extra"
    write_page(extra, "data", "my-own-page", title="My own page")
    stats = kb.Engine([tmp_path / "concepts", extra], builtin=False, notify=lambda _m: None).build_index()
    assert (stats.pages, stats.embedded_pages) == (5, 1)


def test_corrupt_or_truncated_index_is_detected_and_rebuilt(tmp_path, fresh_home, monkeypatch):
    monkeypatch.setenv("KB_HOME", str(fresh_home))
    _library(tmp_path)
    engine = _engine(tmp_path)
    stats = engine.build_index()
    blob = stats.path.read_bytes()
    for broken in (blob[: len(blob) // 2], blob[:-10] + b"0123456789", b"garbage"):
        stats.path.write_bytes(broken)
        notices = []
        answer = _engine(tmp_path, notices).ask("Page 3")  # its title: an exact match, whatever the ranking weights
        assert answer.best.slug == "page-3"
        assert len(notices) == 2 and "the index is unusable" in notices[0] and "rebuilding" in notices[0]
        read_index(stats.path)  # valid again


def test_cli_notices_go_to_stderr_and_corruption_never_shows_a_traceback(tmp_path, fresh_home, engine):
    _library(tmp_path)
    env = {"KB_HOME": str(fresh_home)}
    concepts = str(tmp_path / "concepts")
    before = set((fresh_home / "index").glob("*.kbi"))
    built = run_kb("index", "--concepts", concepts, env=env)
    assert built.returncode == 0, built.stderr.decode()
    assert built.stdout.decode().startswith(f"indexed {len(engine.library) + 4} pages")
    assert "embedded 4 page(s)" in built.stdout.decode()  # built-in pages: vectors reused from the other index
    assert "building the index" in built.stderr.decode()
    [index_file] = set((fresh_home / "index").glob("*.kbi")) - before
    index_file.write_bytes(index_file.read_bytes()[:100])
    asked = run_kb("ask", "--json", "--concepts", concepts, "Page 1", env=env)
    assert json.loads(asked.stdout)["results"][0]["slug"] == "page-1"  # stdout is pure JSON
    assert "the index is unusable" in asked.stderr.decode() and b"Traceback" not in asked.stderr


def test_two_concurrent_index_builds_leave_one_valid_index(tmp_path, fresh_home, engine):
    _library(tmp_path, n=6)
    env = {"KB_HOME": str(fresh_home)}
    cmd = [sys.executable, "-m", "kb", "index", "--concepts", str(tmp_path / "concepts")]
    before = set((fresh_home / "index").glob("*.kbi"))
    import os

    procs = [
        subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sorted(out[0].decode().split()[0] for out in outputs) == ["index", "indexed"]  # one built, one waited
    [index_file] = set((fresh_home / "index").glob("*.kbi")) - before
    assert len(read_index(index_file).pages) == len(engine.library) + 6
    assert not list((fresh_home / "index").glob(".*.tmp"))


def test_stored_bm25_weights_score_exactly_as_bm25s(engine):
    import bm25s
    import numpy as np

    lexical = engine.searcher.lexical
    pages = [engine.library.pages[s] for s in lexical.slugs]
    from kb.lexical import page_text_for_bm25

    reference = bm25s.BM25()
    reference.index([lexical.tokens(page_text_for_bm25(p)) or [""] for p in pages], show_progress=False)
    for query in ("val accuracy plateau", "RuntimeError: CUDA out of memory", "the of and", "learnign rate overfiting"):
        tokens = [t for t in lexical.tokens(query) if t in reference.vocab_dict]
        expected = reference.get_scores(tokens) if tokens else np.zeros(len(pages))
        assert np.allclose(lexical.scores(query), expected, atol=1e-5)


def test_a_fresh_index_answers_without_parsing_pages_and_reparses_only_after_a_change(
    tmp_path, fresh_home, monkeypatch
):
    from kb import api

    monkeypatch.setenv("KB_HOME", str(fresh_home))
    _library(tmp_path, n=5)
    _engine(tmp_path).build_index()
    parsed = []
    real_parse = api.parse_page
    monkeypatch.setattr(api, "parse_page", lambda path, origin: parsed.append(path) or real_parse(path, origin))
    monkeypatch.setattr(api, "load_library", lambda dirs: pytest.fail("the whole library was parsed"))
    answer = _engine(tmp_path).ask("topic number 3 about gradient 3", k=2)
    assert answer.best.slug == "page-3" and answer.best.title == "Page 3"
    assert len(parsed) == 2  # only the printed pages
    monkeypatch.undo()
    monkeypatch.setenv("KB_HOME", str(fresh_home))
    page = tmp_path / "concepts" / "debugging" / "page-1.md"
    os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns + 10**9))  # touched, same content
    notices = []
    assert _engine(tmp_path, notices).ask("topic number 1 about gradient 1").best.slug == "page-1"
    assert notices == []  # same content hashes: nothing re-embedded, only the stamps refreshed
    assert read_index(second_path(fresh_home)).files == kb.indexing.scan_files([(tmp_path / "concepts", "x")])


def second_path(home):
    [path] = [p for p in (home / "index").glob("*.kbi") if len(read_index(p)) == 5]
    return path


def _synthetic_index(n_pages=400, chunks=8, dim=32, seed=0):
    """An index of random unit vectors grouped into pages (no model): for the search layout only."""
    import numpy as np

    from kb.chunks import Chunk
    from kb.lexical import build_lexical
    from kb.pages import Page

    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_pages, dim))
    pages, chunks_of, vectors_of = [], {}, {}
    for i in range(n_pages):
        slug = f"p{i}"
        pages.append(
            Page(
                slug,
                "debugging",
                f"Page {i}",
                "s",
                ("a",),
                (),
                (),
                (),
                {},
                "",
                Path(f"/x/{slug}.md"),
                "built-in",
                f"{i:064x}",
            )
        )
        chunks_of[slug] = [Chunk(slug, "symptom", f"c{j}", f"c{j}") for j in range(chunks)]
        vectors = centers[i] + 0.6 * rng.normal(size=(chunks, dim))
        vectors_of[slug] = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    return pages, chunks_of, vectors_of, build_lexical(pages)


def test_the_approximate_search_finds_what_exact_search_finds(tmp_path, monkeypatch):
    import time

    import numpy as np

    from kb import index as kb_index
    from kb.index import write_index
    from kb.indexing import assemble_index
    from kb.query import Query
    from kb.search import Searcher

    pages, chunks_of, vectors_of, lexical = _synthetic_index()
    built = assemble_index("m", 32, pages, chunks_of, vectors_of, lexical, flat_max=1000)  # 3,200 vectors: IVF
    assert built.ivf is not None
    monkeypatch.setattr(
        kb_index, "FULL_CHECK_MAX_BYTES", 1024
    )  # exercise the big-file path: pread, no checksum of vectors
    write_index(built, tmp_path / "big.kbi")
    approximate = read_index(tmp_path / "big.kbi")
    assert isinstance(approximate.vectors, kb_index.ArrayFile)
    exact = read_index(tmp_path / "big.kbi")
    exact.ivf = None
    rng = np.random.default_rng(1)
    queries = np.asarray(approximate.vectors[rng.choice(len(approximate.vectors), 50, replace=False)])
    queries = queries + 0.3 * rng.normal(size=queries.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    class Fixed:
        def encode(self, texts):
            return queries[[int(t) for t in texts]]

    def top10(index):
        searcher = Searcher(index, Fixed(), lambda slug: next(p for p in pages if p.slug == slug))
        return [[r.slug for r in searcher.search(Query(str(i), str(i)), k=10, mode="dense").results] for i in range(50)]

    start = time.perf_counter()
    found = top10(approximate)
    seconds = time.perf_counter() - start
    wanted = top10(exact)
    recall = np.mean([len(set(f) & set(w)) / 10 for f, w in zip(found, wanted)])
    assert recall >= 0.95, recall
    assert seconds < 5, seconds  # 50 queries
