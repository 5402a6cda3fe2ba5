"""The diagnose rules on curves built here (fast tier): each pathology is found, and a healthy run is healthy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.diagnosis import Series, TrainingLog, diagnose_log

EPOCHS = np.arange(1, 41, dtype=float)


def run(train=None, val=None, x=EPOCHS, x_name="epoch"):
    series = {}
    for role, y in (("train", train), ("val", val)):
        if y is not None:
            series[role] = Series("loss" if role == "train" else "val_loss", np.asarray(x, float), np.asarray(y, float))
    log = TrainingLog(
        Path("run.csv"), "CSV", x_name, tuple(s.name for s in series.values()), series.get("train"), series.get("val")
    )
    findings, summary = diagnose_log(log)
    return findings, summary


def problems(findings):
    return [f.id for f in findings if f.severity == "problem"]


def test_healthy_run_has_no_problem():
    findings, summary = run(1.5 * np.exp(-EPOCHS / 8) + 0.2, 1.5 * np.exp(-EPOCHS / 8) + 0.25)
    assert problems(findings) == [] and "training loss" in summary


def test_overfitting_from_the_validation_minimum():
    train = 1.5 * np.exp(-EPOCHS / 8) + 0.05
    val = 0.6 + 0.002 * (EPOCHS - 12) ** 2
    findings, _ = run(train, val)
    assert problems(findings) == ["overfitting"]
    assert findings[0].data["best"]["epoch"] == 12


def test_divergence_and_nan():
    train = np.r_[np.linspace(2.0, 0.5, 20), np.geomspace(0.6, 50, 19), [np.nan]]
    findings, _ = run(train)
    assert problems(findings)[:2] == ["non-finite", "divergence"]


def test_not_decreasing_at_chance():
    rng = np.random.default_rng(0)
    findings, _ = run(np.log(10) + 0.01 * rng.standard_normal(40))
    stuck = [f for f in findings if f.id == "not-decreasing"]
    assert stuck and stuck[0].data["chance_classes"] == 10


def test_spike_on_a_smooth_curve():
    x = np.arange(1, 301, dtype=float)
    train = 2.0 * np.exp(-x / 80) + 0.1
    train[150] *= 6
    findings, _ = run(train, x=x, x_name="step")
    spikes = [f for f in findings if f.id == "spikes"]
    assert spikes and spikes[0].data["spikes"][0]["step"] == 151


def test_still_improving_advises_more_steps():
    findings, _ = run(2.0 - 0.04 * EPOCHS, 2.1 - 0.04 * EPOCHS)
    assert "still-improving" in [f.id for f in findings]


@pytest.mark.parametrize("points", [1, 2])
def test_too_few_points(points):
    findings, _ = run([1.0, 0.9][:points], x=EPOCHS[:points])
    assert findings[0].id == "not-enough-data"
