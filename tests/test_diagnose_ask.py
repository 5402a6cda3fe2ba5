"""One verdict (fast tier): `kb ask` on a piped training log answers with the page `kb diagnose` names first, the
same reading of the same text; questions, and logs that end in a crash, are searched as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.diagnosis import diagnose_file, diagnose_text

CORPUS = Path(__file__).parent / "data" / "real-logs"


@pytest.mark.parametrize(
    "name", ["dental-yolov8-results.csv", "ddeq-train.log", "bilstmcrf-train_log.txt", "dogbreed-history.json"]
)
def test_a_piped_log_gets_the_diagnosis_page_first(fake_engine, name):
    text = (CORPUS / name).read_text(encoding="utf-8")
    reading = diagnose_text(text)
    assert [f.id for f in reading.findings] == [f.id for f in diagnose_file(CORPUS / name).findings]
    answer = fake_engine.ask(text)
    expected = next(s for s in reading.findings[0].slugs if s in fake_engine.searcher.index.page_row)
    assert answer.best.slug == expected and answer.confident
    assert (
        answer.best.matched_kind == "diagnosis" and answer.best.matched == f"kb diagnose: {reading.findings[0].title}"
    )
    assert len({r.slug for r in answer.results}) == len(answer.results) == 3  # the pinned page is not repeated


def test_questions_and_crashed_runs_are_searched_as_before(fake_engine):
    assert fake_engine.ask("my validation loss goes up while training loss goes down").best.matched_kind != "diagnosis"
    log = (CORPUS / "ddeq-train.log").read_text(encoding="utf-8")
    crashed = log + 'Traceback (most recent call last):\n  File "train.py", line 3\nRuntimeError: CUDA out of memory\n'
    assert fake_engine.log_reading(crashed) is None
    assert fake_engine.ask(crashed).best.matched_kind != "diagnosis"
    assert fake_engine.log_reading("what is weight decay?\nand dropout?\nthanks") is None
