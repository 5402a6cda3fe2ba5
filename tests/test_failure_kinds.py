"""The kinds of failure real questions showed (issue 15), each in our own wording: guards on the real model.

These are not the yardstick (tests/eval/real.yaml is, measured by benchmarks/real_eval.py); they pin down one
example of each kind so that a change that brings a kind back fails here. Kinds kb still gets wrong are strict
xfails, so they are visible, and a change that fixes one must say so by removing its mark.
"""

from __future__ import annotations

import pytest

HEALTHY_LOG_WITH_INF_LABELS = "\n".join(
    [
        "Scanning dataset...",
        "Class [00] INF: 120 images",
        "Class [05] INF: 50 images",
        "epoch 1 loss 0.91 acc 0.62",
        "epoch 2 loss 0.71 acc 0.70",
        "epoch 3 loss 0.60 acc 0.75",
    ]
)
STORY = (
    "Hi all, thanks in advance. I'm training a small transformer on 20k sentences, batch 32, AdamW, for 30 "
    "epochs. Everything runs fine and the loss is reported each epoch. However, after epoch 3 the validation loss "
    "starts going up while the training loss keeps going down, and by epoch 30 the val loss is double its "
    "minimum. I attached my code below. Any help would be appreciated!"
)
KNOWN_MISS = pytest.mark.xfail(
    strict=True,
    reason="a knob plus a tool: the tool's page (sgd-momentum) lists a symptom with both words and wins by a hair",
)

FIRST = [
    # contrast statements: the relation between the two numbers decides
    ("my training accuracy climbs to 99% but validation accuracy is stuck around 70%", {"overfitting"}),
    ("train and val accuracy both hover at 60%, close together and both low", {"underfitting"}),
    # famous error strings whose words mislead (a device-side assert is an index out of range, not a device)
    (
        "RuntimeError: CUDA error: device-side assert triggered\n"
        "CUDA kernel errors might be asynchronously reported at some other API call",
        {"loss-function-choice", "added-tokens", "sequence-length-and-padding", "segmentation-all-background"},
    ),
    ("RuntimeError: expected scalar type Float but found Double", {"dtype-mismatch"}),
    # a knob plus a tool
    pytest.param("which learning rate works with adam for a small cnn", {"adam", "learning-rate"}, marks=KNOWN_MISS),
    pytest.param("good batch size for sgd with momentum on cifar", {"batch-size"}, marks=KNOWN_MISS),
    # a long story whose decisive clause is one among many; since the second stage was refitted with 127 pages and
    # 1,351 real questions (2026-12-07, fourth session), the curve-reading hub (training-curves) wins by a hair
    # (12.19 against 11.87): measured, not tuned away (one query), kept as a known miss
    pytest.param(
        STORY,
        {"overfitting", "early-stopping"},
        marks=pytest.mark.xfail(strict=True, reason="the curve-reading hub wins by a hair since the last refit"),
    ),
]


@pytest.mark.parametrize("query, right", FIRST)
def test_the_right_page_comes_first(engine, query, right):
    answer = engine.ask(query, k=3)
    assert answer.results[0].slug in right, [r.slug for r in answer.results]


def test_a_device_side_assert_is_not_sent_to_the_device_page(engine):
    answer = engine.ask("RuntimeError: CUDA error: device-side assert triggered", k=3)
    assert answer.results[0].slug != "device-mismatch"


def test_inf_as_a_word_in_a_healthy_log_is_not_a_numeric_inf(engine):
    answer = engine.ask(HEALTHY_LOG_WITH_INF_LABELS, k=3)
    wrong = {"nan-loss", "exploding-gradients", "cuda-out-of-memory", "loss-spikes"}
    assert not wrong & {r.slug for r in answer.results}, [r.slug for r in answer.results]


@pytest.mark.parametrize(
    "query",
    ["how can I get better accuracy from my resnet image classifier", "my model is not good enough, what next"],
)
def test_a_vague_goal_gets_a_goals_page_that_routes_it(engine, query):
    assert engine.ask(query, k=3).results[0].category == "goals"
