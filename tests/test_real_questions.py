"""The real-question set (tests/eval/real.yaml): well formed, split by its rule, labelled with pages that exist,
and kb's quality on it guarded where it was measured (README and benchmarks/RESULTS.md quote the numbers)."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
import yaml

from kb.evaluate import evaluate, load_cases
from kb.pages import builtin_concepts_dir, load_library

REAL = Path(__file__).parent / "eval" / "real.yaml"
ENTRIES = yaml.safe_load(REAL.read_text(encoding="utf-8"))


def half_of(url: str) -> str:
    """The split rule of the file's header: sha256 of the thread's URL without its #fragment, even -> dev."""
    return "dev" if int(hashlib.sha256(url.split("#")[0].encode()).hexdigest(), 16) % 2 == 0 else "heldout"


def test_every_entry_is_a_sourced_labelled_question():
    bad = []
    for i, e in enumerate(ENTRIES, 1):
        ok = (
            isinstance(e.get("q"), str)
            and e["q"].strip()
            and isinstance(e.get("expect"), list)
            and str(e.get("url", "")).startswith(("https://", "http://"))
            and e.get("kind") in ("vague", "specific")
            and e.get("scope") in ("training", "other")
            and e.get("origin")
            and e.get("id")
        )
        if not ok:
            bad.append((i, e.get("q")))
    assert bad == []
    ids = Counter(e["id"] for e in ENTRIES)
    assert [i for i, n in ids.items() if n > 1] == []
    pairs = Counter((e["q"].strip().lower(), e["url"]) for e in ENTRIES)
    assert [p for p, n in pairs.items() if n > 1] == []


def test_halves_follow_the_url_rule_so_a_thread_never_straddles_them():
    assert [e["id"] for e in ENTRIES if e["half"] != half_of(e["url"])] == []
    counts = Counter(e["half"] for e in ENTRIES)
    assert min(counts.values()) >= 0.4 * len(ENTRIES)


def test_labels_name_pages_that_exist_and_cover_both_answerable_and_not():
    slugs = set(load_library([(builtin_concepts_dir(), "built-in")]).pages)
    assert sorted({s for e in ENTRIES for s in e["expect"]} - slugs) == []
    for half in ("dev", "heldout"):
        rows = [e for e in ENTRIES if e["half"] == half]
        answerable = sum(bool(e["expect"]) for e in rows)
        assert answerable >= 300 and len(rows) - answerable >= 150  # both kinds, enough to measure


def test_the_second_labelling_is_blind_dev_only_and_names_pages_that_exist():
    """tests/eval/real-second.yaml (benchmarks/real_second.py): 200 dev questions labelled again, blind."""
    second = yaml.safe_load((REAL.parent / "real-second.yaml").read_text(encoding="utf-8"))
    by_id = {e["id"]: e for e in ENTRIES}
    slugs = set(load_library([(builtin_concepts_dir(), "built-in")]).pages)
    assert len(second) == len({e["id"] for e in second}) == 200
    assert all(by_id[e["id"]]["half"] == "dev" for e in second)  # held-out questions are shown to no one
    assert all(e["best"] in slugs | {"none"} and set(e["also"]) <= slugs for e in second)
    assert {e["confidence"] for e in second} <= {"high", "medium", "low"}


# Measured with `python benchmarks/real_eval.py` (calibrated, kb's default); the bars sit a little below, so a
# change that makes real questions worse fails here even if the self-written sets do not move. Sixth session (143
# pages, refitted on 875 dev questions): the calibrator declines 0.245 of the held-out questions with no page (0.170
# before) but refuses 0.032 of the answerable ones (22 of 677), over the 3% by two questions: the bar says
# what was measured, not the target.
@pytest.mark.parametrize(
    "half, top1, top3, declined, refused",
    [("dev", 0.78, 0.90, 0.40, 0.03), ("heldout", 0.74, 0.88, 0.23, 0.035)],
)
def test_real_questions_stay_where_they_were_measured(engine, half, top1, top3, declined, refused):
    report = evaluate(engine, load_cases(REAL, {"half": half}))
    refused_share = report.on_topic_not_confident / report.total
    assert report.top1 >= top1 and report.top3 >= top3, (report.top1, report.top3)
    assert report.no_match_rate >= declined, report.no_match_rate
    assert refused_share <= refused, refused_share
