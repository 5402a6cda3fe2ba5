"""Typo tolerance (kb.spelling) on the real index: typos are read as library words, real words are left alone."""

from __future__ import annotations

import json

import pytest

from kb.spelling import build_spelling, edits1, likely_slip

from conftest import run_kb


@pytest.mark.parametrize(
    "typed, read_as",
    [
        ("how do i pick a good learnign rate", "how do i pick a good learning rate"),  # swapped neighbours
        ("valdiation loss goes up", "validation loss goes up"),
        ("my model is overfiting", "my model is overfitting"),  # a doubled letter typed once
        ("minority class recal is zero", "minority class recall is zero"),  # "recall", not the commoner "real"
        ("Gradeint clipping threshhold", "gradient clipping threshold"),
    ],
)
def test_typos_are_read_as_library_words(engine, typed, read_as):
    answer = engine.ask(typed)
    assert answer.searched.lower() == read_as
    assert answer.corrections and all(typed_word in typed for typed_word, _ in answer.corrections)


@pytest.mark.parametrize(
    "query",
    [
        "my jumpy loss hovers around 2.3 and the learner reran",  # English words the library does not use
        "predictions differ behind my fastapi endpoint",  # "fastai" plus a letter: another word, not a typo
        "CUDA OOM in train_loadr while Conv2d runs",  # acronyms, identifiers, CamelCase: never touched
        "my dataloaders are slow",  # a plural of a library word
        "it doesnt learn, wasnt shuffled",  # English contractions without the apostrophe
        "nan relu lr",  # short words: too many neighbours to guess
        "entraînement: la perte diverge",  # no ASCII piece of an accented word ("entra") is read as a typo
    ],
)
def test_words_that_are_not_typos_are_left_alone(engine, query):
    answer = engine.ask(query)
    assert answer.corrections == [] and answer.searched == query


def test_correction_prefers_a_likely_slip_then_the_commonest_word():
    spelling = build_spelling(["real real real real recall recall tuning tuning"])
    assert spelling.correct("recal")[0] == "recall"
    assert spelling.correct("tunning")[0] == "tuning"
    assert "recal" in edits1("recall") and likely_slip("untill", "until") and not likely_slip("recal", "real")


def test_cli_shows_what_it_read(engine):
    text = run_kb("ask", "how do i pick a good learnign rate")
    assert text.returncode == 0
    lines = text.stdout.decode().splitlines()
    assert lines[0] == "Read 'learnign' as 'learning'."
    assert lines[2].startswith("Learning rate  [optimization/learning-rate]")
    data = json.loads(run_kb("ask", "--json", "valdiation loss goes up while train loss falls").stdout)
    assert data["corrections"] == [{"typed": "valdiation", "read_as": "validation"}]
    assert data["results"][0]["slug"] in ("overfitting", "training-curves")
    assert json.loads(run_kb("ask", "--json", "loss is nan").stdout)["corrections"] == []
