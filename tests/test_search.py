"""The search stages on their own (fast tier): chunks, lexical (BM25, checked against bm25s), exact matches, the
fused score, the query object, and ranking end to end with the deterministic embedder."""

from __future__ import annotations

import numpy as np
import pytest

import kb
from kb.chunks import EMBEDDED_SECTIONS, chunk_page, plain
from kb.exact import EXACT_WINDOW, exact_keys, exact_text
from kb.lexical import page_text_for_bm25
from kb.query import Query, make_query
from kb.search import CONFIDENT_SCORE, EXACT_BONUS, LEXICAL_WEIGHT, page_scores
from kb.spelling import build_spelling

from conftest import write_page


def test_chunks_are_title_symptoms_and_prose_sections(fake_engine):
    page = fake_engine.page("nan-loss")
    chunks = chunk_page(page)
    assert chunks[0].kind == "title" and chunks[0].text.startswith(f"{page.title}. {page.summary}")
    assert "Also called: nan loss" in chunks[0].text
    assert [c.label for c in chunks if c.kind == "symptom"] == list(page.symptoms)
    assert [c.label for c in chunks if c.kind == "section"] == [s for s in EMBEDDED_SECTIONS if s in page.sections]
    assert all("```" not in c.text and "](" not in c.text for c in chunks)  # prose only, links to their text


def test_plain_keeps_link_text_and_drops_code_and_emphasis():
    assert plain("Use **AdamW** ([docs](https://x.y)) `lr`\n```python\nx = 1\n```") == "Use AdamW (docs) lr"


def test_stored_bm25_weights_score_exactly_as_bm25s(fake_engine):
    import bm25s

    lexical = fake_engine.searcher.lexical
    pages = [fake_engine.library.pages[s] for s in lexical.slugs]
    reference = bm25s.BM25()
    reference.index([lexical.tokens(page_text_for_bm25(p)) or [""] for p in pages], show_progress=False)
    for query in ("val accuracy plateau", "RuntimeError: CUDA out of memory", "the of and", "warmup steps adamw"):
        tokens = [t for t in lexical.tokens(query) if t in reference.vocab_dict]
        expected = reference.get_scores(tokens) if tokens else np.zeros(len(pages))
        assert np.allclose(lexical.scores(query), expected, atol=1e-5)


def test_exact_keys_and_matches(fake_engine):
    page = fake_engine.page("cuda-out-of-memory")
    equal, contained = exact_keys(page)
    assert exact_text(page.title) in equal and exact_text(page.slug) in equal
    assert contained and all(len(k.split()) >= EXACT_WINDOW for k in contained)
    exact = fake_engine.searcher.index.exact
    row = fake_engine.searcher.index.page_row["cuda-out-of-memory"]
    key = sorted(contained)[0]
    assert row in exact.pages(f"some log line\nTraceback ...\n{key.upper()} and more")  # contained anywhere
    assert row in exact.pages(page.title.upper())  # equal, whatever the case and punctuation
    assert exact.pages("out of") == set()


def test_page_scores_is_the_documented_formula():
    best = np.array([0.8, 0.6, 0.5], np.float32)
    top = np.array([0.6, 0.6, 0.5], np.float32)
    bm25 = np.array([0.0, 2.0, 4.0], np.float32)
    exact = np.array([0.0, 0.0, 1.0], np.float32)
    dense = (best + top) / 2
    assert np.allclose(page_scores(best, top, bm25, "dense"), dense)
    assert np.allclose(page_scores(best, top, bm25, "lexical"), bm25 / 4)
    assert np.allclose(
        page_scores(best, top, bm25, "fused", exact), dense + LEXICAL_WEIGHT * bm25 / 4 + EXACT_BONUS * exact
    )
    assert np.allclose(page_scores(best, top, bm25 * 0, "fused"), dense)  # no shared word: no lexical term


def test_the_query_is_made_once_with_its_corrections():
    spelling = build_spelling(["learning learning rate rate overfitting overfitting"])
    query = make_query("  my learnign rate\n", spelling)
    assert query == Query("  my learnign rate\n", "my learning rate", (("learnign", "learning"),))
    assert query.exact_texts == ("  my learnign rate\n", "my learning rate")
    assert make_query("loss is nan").searched == "loss is nan"


def test_ranking_end_to_end_with_the_fake_embedder(fake_engine):
    answer = fake_engine.ask("RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB", k=3)
    assert answer.confident and answer.best.slug == "cuda-out-of-memory"
    scores = [r.score for r in answer.results]
    assert scores == sorted(scores, reverse=True) and len(answer.results) == 3
    assert fake_engine.ask("nan-loss").best.slug == "nan-loss"  # a slug is an exact match
    typo = fake_engine.ask("overfiting")
    assert typo.corrections == [("overfiting", "overfitting")] and typo.searched == "overfitting"


def test_confidence_follows_the_best_chunk_cosine(fake_engine):
    answer = fake_engine.ask("zzzz qqqq xxxx", k=2)
    assert not answer.confident and len(answer.results) == 2
    assert CONFIDENT_SCORE > 0


def test_k_and_empty_queries_are_usage_errors(fake_engine):
    for bad in ("", "   "):
        with pytest.raises(kb.errors.UsageError, match="empty query"):
            fake_engine.ask(bad)
    with pytest.raises(kb.errors.UsageError, match="at least 1"):
        fake_engine.ask("loss", k=0)


def test_an_own_page_overrides_a_built_in_one(tmp_path):
    from fakes import HashEmbedder

    write_page(
        tmp_path / "own",
        "debugging",
        "nan-loss",
        title="Our NaN checklist",
        summary="Ours.",
        symptoms=["loss is nan", "nan loss", "loss nan", "nan in loss", "loss inf", "loss becomes nan"],
    )
    engine = kb.Engine([tmp_path / "own"], home=tmp_path / "home", embedder=HashEmbedder(), notify=lambda _m: None)
    assert engine.ask("loss is nan").best.title == "Our NaN checklist"
    assert engine.page("nan-loss").origin == str(tmp_path / "own")
