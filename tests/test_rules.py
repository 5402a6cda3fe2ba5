"""The diagnose rules on curves built here (fast tier): each pathology is found, and a healthy run is healthy."""

from __future__ import annotations

import math
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


def test_a_loss_that_fell_slowly_and_flattened_near_some_ln_c_is_not_called_chance():
    """A language model's loss falling slowly from 2.4 and flattening at 1.97 (within 2% of ln 7, but only for its
    last quarter) is no sign of 7 classes; a loss that sat at ln 10 for most of the run still is, and so is a
    binary classifier's loss flat at ln 2 (per-step logs: the first value is the loss at initialization)."""
    steps = np.arange(5, 2180, 5, dtype=float)
    lm = 1.97 + 0.4 * np.exp(-steps / 700) + 0.004 * np.sin(steps)
    findings, _ = run(lm, x=steps, x_name="step")
    assert not any((f.data or {}).get("chance_classes") for f in findings)
    rng = np.random.default_rng(1)
    stuck = np.r_[np.linspace(6.0, 2.4, 10), math.log(10) + 0.003 * rng.standard_normal(30)]
    findings, _ = run(stuck)
    assert any((f.data or {}).get("chance_classes") == 10 for f in findings)
    binary = np.r_[np.linspace(0.9, 0.70, 40), math.log(2) + 0.002 * rng.standard_normal(len(steps) - 40)]
    findings, _ = run(binary, x=steps, x_name="step")
    assert any((f.data or {}).get("chance_classes") == 2 for f in findings)


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


# ---------------------------------------------------------------- issue 19: rules that read curves as an expert does


def make_log(x_name="epoch", runs=(), **curves):
    """A TrainingLog from curves given as name=(x, y) or name=(x, y, epoch); roles and kinds from the names, as
    the reader maps them."""
    from kb.diagnosis.logs import _from_series

    series = {}
    for name, parts in curves.items():
        x, y, *epoch = parts
        series[name] = Series(
            name, np.asarray(x, float), np.asarray(y, float), np.asarray(epoch[0], float) if epoch else None
        )
    log = _from_series(Path("run.csv"), "CSV", x_name, series, None, None, [], runs, "")
    return log


def diagnose(log):
    findings, _ = diagnose_log(log)
    return findings


def by_id(findings, id_):
    found = [f for f in findings if f.id == id_]
    return found[0] if found else None


def advice(findings):
    return {a for f in findings for a in f.advice}


def test_per_step_minibatch_noise_is_not_spikes():
    """The issue's Lightning log: a per-step loss near 0.01 with heavy-tailed batch noise, validation improving."""
    rng = np.random.default_rng(1)
    steps = np.arange(1, 3001, dtype=float)
    loss = 0.01 * rng.lognormal(0, 0.6, len(steps))
    val_x = np.arange(300, 3001, 300, dtype=float)
    log = make_log(
        "step",
        train_loss_step=(steps, loss, steps // 300),
        val_loss=(val_x, np.linspace(0.071, 0.039, len(val_x)), val_x // 300),
    )
    findings = diagnose(log)
    assert not [f for f in findings if f.id == "spikes" and f.severity == "problem"]
    assert "train-longer" in advice(findings)  # validation still improves: the one case to say it


def test_per_epoch_spikes_one_is_worth_knowing_three_are_a_problem():
    x = np.arange(1, 61, dtype=float)
    y = 2 * np.exp(-x / 15) + 0.2
    one = y.copy()
    one[30] *= 3
    spikes = by_id(diagnose(make_log(loss=(x, one))), "spikes")
    assert spikes.severity == "advice" and spikes.data["spikes"][0]["epoch"] == 31
    three = y.copy()
    three[[20, 35, 50]] *= 3
    spikes = by_id(diagnose(make_log(loss=(x, three))), "spikes")
    assert spikes.severity == "problem" and len(spikes.data["spikes"]) == 3 and spikes.advice == ("lower-lr",)


def test_a_noisy_flat_curve_is_a_plateau_and_a_noisy_falling_one_is_not():
    rng = np.random.default_rng(2)
    x = np.arange(1, 81, dtype=float)
    flat = np.r_[np.linspace(2.0, 0.6, 20), np.full(60, 0.6)] + 0.08 * rng.standard_normal(80)
    plateau = by_id(diagnose(make_log(loss=(x, flat))), "plateau")
    assert plateau is not None and plateau.severity == "advice" and 15 <= plateau.data["since"]["epoch"] <= 30
    falling = 2.0 * np.exp(-x / 40) + 0.05 * rng.standard_normal(80)
    findings = diagnose(make_log(loss=(x, falling)))
    assert by_id(findings, "plateau") is None and by_id(findings, "still-improving") is not None


def test_never_train_longer_when_validation_stopped_improving():
    x = np.arange(1, 41, dtype=float)
    train = 2.0 * np.exp(-x / 10) + 0.1
    for val in (
        np.r_[np.linspace(2.0, 0.8, 10), np.full(30, 0.8)],
        np.r_[np.linspace(2.0, 0.8, 10), np.linspace(0.8, 1.2, 30)],
    ):
        findings = diagnose(make_log(loss=(x, train), val_loss=(x, val)))
        assert "train-longer" not in advice(findings), [(f.id, f.advice) for f in findings]


def test_without_validation_still_falling_says_what_cannot_be_judged():
    x = np.arange(1, 31, dtype=float)
    findings = diagnose(make_log(loss=(x, 2.0 * np.exp(-x / 20) + 0.1)))
    improving = by_id(findings, "still-improving")
    assert improving.title == "Training loss still falling at the end" and improving.advice == ()
    assert "No validation curve was logged" in improving.evidence and improving.slugs[0] == "training-curves"


def test_an_annealed_learning_rate_ends_the_run_and_a_decayed_one_is_not_decayed_again():
    x = np.arange(1, 61, dtype=float)
    lr = np.linspace(1e-3, 1e-5, 60)  # linear decay to about 0: the last gains are the annealing
    val = 2.0 * np.exp(-x / 25) + 0.3
    findings = diagnose(make_log(loss=(x, val - 0.1), val_loss=(x, val), lr=(x, lr)))
    assert "train-longer" not in advice(findings) and by_id(findings, "still-improving") is None
    flat = np.r_[np.linspace(1.0, 0.5, 20), np.full(40, 0.5)]
    plateau = by_id(diagnose(make_log(loss=(x, flat - 0.05), val_loss=(x, flat), lr=(x, lr))), "plateau")
    assert plateau.advice == ("early-stop",) and "of its peak" in plateau.evidence  # no "decay the learning rate"
    plateau = by_id(diagnose(make_log(loss=(x, flat - 0.05), val_loss=(x, flat))), "plateau")
    assert plateau.advice == ("lower-lr", "early-stop")  # learning rate not logged: decaying it is the advice


def test_validation_that_never_improves_is_overfitting_from_the_start():
    rng = np.random.default_rng(3)
    x = np.arange(1, 21, dtype=float)
    findings = diagnose(
        make_log(loss=(x, np.linspace(2.2, 1.6, 20)), val_loss=(x, 2.9 + 0.15 * rng.standard_normal(20)))
    )
    overfit = by_id(findings, "overfitting")
    assert overfit is not None and overfit.data["val_start"] and "never improve" in overfit.title
    assert "train-longer" not in advice(findings)


def test_accuracy_far_above_macro_f1_is_class_imbalance():
    x = np.arange(1, 11, dtype=float)
    findings = diagnose(
        make_log(
            loss=(x, np.linspace(0.6, 0.2, 10)),
            val_loss=(x, np.linspace(0.6, 0.3, 10)),
            val_accuracy=(x, np.linspace(0.88, 0.918, 10)),
            val_f1_macro=(x, np.linspace(0.5, 0.653, 10)),
        )
    )
    gap = findings[0]
    assert gap.id == "metric-gap" and gap.data["balanced"] == "val_f1_macro" and gap.advice == ("rebalance-classes",)


def test_not_learning_a_zero_loss_term_and_a_metric_stuck_at_zero():
    x = np.arange(1, 31, dtype=float)
    findings = diagnose(
        make_log(
            **{
                "train/box_loss": (x, np.zeros(30)),
                "train/cls_loss": (x, np.linspace(100, 0.1, 30)),
                "val/box_loss": (x, np.full(30, 3.5)),
                "val/cls_loss": (x, np.linspace(3.5, 6.0, 30)),
                "metrics/mAP50-95(B)": (x, np.r_[np.full(10, 0.01), np.zeros(20)]),
                "metrics/precision(B)": (x, np.zeros(30)),
            }
        )
    )
    assert findings[0].id == "not-learning" and findings[0].data["zero_losses"] == ["train/box_loss"]
    assert not {"train-longer", "lower-lr", "add-regularization"} & advice(findings)


def test_a_single_class_detector_has_no_classification_loss_and_that_is_not_a_fault():
    # YOLOv5 adds its cls loss only with two or more classes (utils/loss.py: `if self.nc > 1`): one class, zeros
    x = np.arange(0, 40, dtype=float)
    log = make_log(
        **{
            "train/box_loss": (x, 0.08 * np.exp(-x / 15) + 0.02),
            "train/obj_loss": (x, 0.03 * np.exp(-x / 15) + 0.01),
            "train/cls_loss": (x, np.zeros(40)),
            "val/box_loss": (x, 0.06 * np.exp(-x / 10) + 0.025),
            "val/cls_loss": (x, np.zeros(40)),
            "metrics/mAP_0.5": (x, 0.65 * (1 - np.exp(-x / 6))),
        }
    )
    assert by_id(diagnose(log), "not-learning") is None
    # a box loss at 0 beside a moving cls loss still never sees a target (the test above)


def test_a_flat_return_is_not_learning():
    rng = np.random.default_rng(4)
    episodes = np.arange(1, 501, dtype=float)
    log = make_log(average100_score=(episodes, 22 + rng.standard_normal(500)))
    assert log.train.unbounded and diagnose(log)[0].id == "not-learning"
    learning = make_log(average100_score=(episodes, 20 + episodes / 5 + rng.standard_normal(500)))
    assert "not-learning" not in [f.id for f in diagnose(learning)]


def test_one_evaluation_at_chance():
    log = make_log(train_loss=([1], [0.76]), val_loss=([1], [0.824]), val_acc=([1], [0.5]))
    findings = diagnose(log)
    assert findings[0].id == "not-decreasing" and findings[0].data["chance_classes"] == 2


def test_validation_accuracy_at_one_over_c_is_chance_even_when_the_losses_cannot_tell():
    # a short Keras run: the first losses were logged after an epoch of learning, far from ln 2
    x = np.arange(0, 7, dtype=float)
    log = make_log(
        loss=(x, [1.44, 1.16, 0.80, 0.63, 0.57, 0.47, 0.38]),
        val_loss=(x, [1.54, 0.81, 0.71, 0.70, 0.75, 0.73, 0.77]),
        val_accuracy=(x, [0.5, 0.5, 0.5, 0.55000001, 0.55, 0.45, 0.4]),
    )
    findings = diagnose(log)
    assert findings[0].id == "not-decreasing" and findings[0].data["chance_classes"] == 2
    learning = make_log(
        loss=(x, [1.44, 1.16, 0.80, 0.63, 0.57, 0.47, 0.38]),
        val_loss=(x, [1.54, 0.81, 0.71, 0.70, 0.75, 0.73, 0.77]),
        val_accuracy=(x, [0.5, 0.55, 0.6, 0.65, 0.7, 0.7, 0.7]),  # it learns: no chance level
    )
    assert by_id(diagnose(learning), "not-decreasing") is None


def test_a_step_down_then_flat_is_a_plateau_at_the_new_level():
    rng = np.random.default_rng(5)
    x = np.arange(1, 67, dtype=float)
    val = np.where(x < 30, 0.5 - 0.011 * x, 0.168) + 0.002 * rng.standard_normal(66)
    val[-17:] -= 0.006  # the last quarter a little lower than the one before, but flat within it
    findings = diagnose(make_log(loss=(x, 0.6 - 0.005 * x), val_loss=(x, val)))
    assert by_id(findings, "plateau") is not None and "train-longer" not in advice(findings)


def test_a_validation_accuracy_that_never_moves_is_one_prediction_for_everything():
    x = np.arange(1, 32, dtype=float)
    train = 0.64 - 0.08 * (1 - np.exp(-x / 8))
    log = make_log(training_loss=(x, train), val_loss=(x, train - 0.12), val_acc=(x, np.full(31, 0.72414)))
    finding = by_id(diagnose(log), "not-learning")
    assert finding is not None and finding.data["metric_constant"] == 0.72414
    assert finding.title.startswith("Stuck at chance")  # the majority class's share is the chance baseline
    assert finding.slugs[0] == "constant-predictions" and "raise-lr" not in advice(diagnose(log))
    solved = make_log(training_loss=(x, train), val_loss=(x, train - 0.12), val_acc=(x, np.ones(31)))
    assert by_id(diagnose(solved), "not-learning") is None  # a perfect score at every evaluation is another story


def test_restarted_runs_come_first_and_the_last_run_is_diagnosed():
    x = np.arange(1, 21, dtype=float)
    log = make_log(
        runs=("epoch 30 -> 1 at line 61",), loss=(x, np.linspace(1, 0.2, 20)), val_loss=(x, np.linspace(1.1, 0.3, 20))
    )
    findings = diagnose(log)
    assert findings[0].id == "restarted-runs" and "2 runs" in findings[0].title and "line 61" in findings[0].evidence


def test_validation_far_below_training_is_not_the_same_measurement():
    x = np.arange(100, 700, 100, dtype=float)
    log = make_log(
        "step", loss=(x, [284.9, 161.2, 5.39, 5.18, 5.02, 4.9]), eval_loss=(x, [15.4, 2.38, 0.319, 0.308, 0.304, 0.30])
    )
    below = by_id(diagnose(log), "val-below-train")
    assert below.severity == "problem" and "not the same measurement" in below.evidence
    rounded = make_log(
        loss=(np.arange(1, 7.0), [0.1, 0.0001, 0.0, 0.0, 0.0, 0.0]),
        eval_loss=(np.arange(1, 7.0), [2e-4, 9e-5, 5e-5, 3e-5, 2e-5, 1e-5]),
    )
    assert by_id(diagnose(rounded), "val-below-train") is None  # training loss rounded to 0 by the logger


def test_a_perfect_validation_metric_is_a_plateau_worth_checking():
    x = np.arange(1, 11, dtype=float)
    log = make_log(
        loss=(x, np.r_[0.1, np.zeros(9)]), eval_loss=(x, np.geomspace(2e-4, 1.5e-5, 10)), eval_accuracy=(x, np.ones(10))
    )
    findings = diagnose(log)
    assert findings[0].id == "plateau" and "perfect" in findings[0].title and "check-leakage" in findings[0].advice
    assert "train-longer" not in advice(findings)


def test_rules_are_linear_and_quiet_on_long_and_broken_curves():
    import time
    import warnings

    steps = np.arange(1, 20_001, dtype=float)
    rng = np.random.default_rng(5)
    loss = 2 * np.exp(-steps / 5000) + 0.1 * rng.random(20_000)
    val = np.full(20_000, np.nan)
    val[::2000] = np.linspace(2, 0.5, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would fail here
        start = time.perf_counter()
        diagnose(make_log("step", loss=(steps, loss), val_loss=(steps[::2000], val[::2000])))
        assert time.perf_counter() - start < 2.0
        diagnose(make_log(loss=([1, 2, 3, 4, 5.0], [np.nan] * 5), val_loss=([1, 2, 3.0], [1.0, np.inf, 0.5])))
        diagnose(make_log(loss=([1, 2, 3, 4, 5.0], [0.0] * 5), val_loss=([1, 2, 3, 4, 5.0], [0.0] * 5)))


def test_a_stall_that_drifts_up_short_of_a_divergence_is_a_plateau():
    x = np.arange(1, 19, dtype=float)
    y = np.r_[683, 356, 375, 319, 278, 333, 342, 317, 271, 331, 291, 300, 376, 368, 399, 390, 374, 385.0]
    plateau = by_id(diagnose(make_log(x_name="step", train_loss=(x * 50, y, x // 2))), "plateau")
    assert plateau is not None and plateau.data["drifting_up"] and plateau.title.endswith(", drifting up")


def test_the_text_report_says_which_lines_were_read_and_leads_with_the_main_finding(tmp_path):
    from kb.diagnosis import diagnose_file
    from kb.formats import render

    lines = "".join(f"Epoch {e}/8\nloss: {2 / e:.4f} - val_loss: {2.2 / e:.4f}\n" for e in range(1, 9))
    (tmp_path / "train.log").write_text(lines * 2)  # the same run twice: two runs in one log
    text = render("diagnosis", diagnose_file(tmp_path / "train.log"), "text")
    head = text.splitlines()
    assert head[0] == "train.log  (text log; train: loss, val: val_loss)"
    assert head[1].startswith("read 16 lines like: loss: 2.0000 - val_loss: 2.2000 (line 2)")
    assert "Several runs in one log; in the last one" in text and "1. 2 runs in one log: diagnosing the last" in text


@pytest.mark.parametrize("n", range(2, 8))
def test_short_validation_curves_with_falling_training_never_crash_a_rule(n):
    # a pasted snippet of a log can hold only a few evaluations; every rule must read it or stay quiet
    x = np.arange(1, n + 1, dtype=float)
    findings = diagnose(make_log(loss=(x, np.linspace(2.2, 0.4, n)), val_loss=(x, np.full(n, 2.9))))
    assert isinstance(findings, list)


def test_a_training_loss_that_climbs_while_validation_improves_is_no_divergence(tmp_path):
    # progressive-diffusion-distillation (eighth batch, dev): a curriculum makes the task harder every epoch, so
    # the training loss rises 0.0002 -> 0.029 while validation falls 0.029 -> 0.014; both experts: no divergence
    from kb.diagnosis import diagnose_file

    rows = "".join(f"{e},{0.0002 + 0.0006 * e:.5f},{0.014 + 0.015 * 0.9**e:.5f}\n" for e in range(50))
    path = tmp_path / "curriculum.csv"
    path.write_text("epoch,loss,val_loss\n" + rows)
    assert "divergence" not in {f.id for f in diagnose_file(path).findings}
    # validation that climbs with it is a divergence still
    rising = "".join(f"{e},{0.0002 + 0.0006 * e:.5f},{0.014 + 0.0006 * e:.5f}\n" for e in range(50))
    path.write_text("epoch,loss,val_loss\n" + rising)
    assert "divergence" in {f.id for f in diagnose_file(path).findings}


@pytest.mark.parametrize(
    "metric, map_end, overfitting_leads",
    [
        ("metrics/mAP50-95(B)", 0.48, False),  # mAP 4% below its best: the loss's rise is advice, not the headline
        ("metrics/mAP50-95(B)", 0.36, True),  # mAP 28% below its best: overfitting
        ("val_accuracy", 0.48, True),  # a classifier keeps the loss's reading (its labellers called it overfitting)
    ],
)
def test_a_detector_is_judged_by_its_map_when_its_validation_loss_rises(metric, map_end, overfitting_leads):
    # Two blind readers called two YOLO runs (batch 9) plateaus: val loss up ~15% while mAP50-95 held near its best
    x = np.arange(1, 41, dtype=float)
    val = np.concatenate([np.linspace(3.0, 2.6, 10), np.linspace(2.6, 3.1, 30)])
    score = np.concatenate([np.linspace(0.3, 0.5, 10), np.linspace(0.5, map_end, 30)])
    findings = diagnose(make_log(loss=(x, np.linspace(3.5, 2.0, 40)), val_loss=(x, val), **{metric: (x, score)}))
    overfit = by_id(findings, "overfitting")
    assert overfit is not None
    assert (findings[0] is overfit and overfit.severity == "problem") == overfitting_leads
    if not overfitting_leads:
        assert overfit.severity == "advice" and "holds" in overfit.title and "train-longer" not in advice(findings)


def test_a_loss_flat_at_zero_after_falling_a_thousandfold_gets_no_learning_rate_advice():
    """A fine-tune whose training loss falls from 0.85 to ~1e-5 and stays there: no plateau
    with "decay the learning rate for a last gain", since there is nothing left to gain; a loss flat at 0.3 after
    falling from 0.85 still is a plateau."""
    steps = np.arange(10, 1510, 10, dtype=float)
    printed = np.round(0.85 * np.exp(-steps / 10), 4)  # as the log prints it: 0.0000 from step 1000 on
    findings, _ = run(printed, x=steps, x_name="step")
    assert not [f for f in findings if f.id == "plateau" or "lower-lr" in f.advice]
    findings, _ = run(0.3 + 0.55 * np.exp(-steps / 100), x=steps, x_name="step")
    assert [f.id for f in findings if f.id == "plateau"]


def test_a_loss_printed_as_zero_that_ticks_up_is_read_without_a_crash():
    """A log that prints 0.0000 for a stretch and then 0.0010: the median before the last quarter is exactly 0,
    which once divided by zero in the plateau's wording."""
    steps = np.arange(10, 1510, 10, dtype=float)
    printed = np.r_[0.85, np.zeros(99), np.full(50, 0.001)]
    findings, _ = run(printed, x=steps, x_name="step")
    assert all(f.evidence for f in findings)
