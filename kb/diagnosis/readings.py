"""Findings read from the metrics and the way the log was written rather than from one loss curve's shape: runs
appended in one log, accuracy far above a class-balanced metric, a model that learns nothing (a loss term always 0,
a validation metric stuck at 0, a return that never rises), one evaluation already at chance, and validation
below training (a measurement effect, or two numbers that are not the same measurement)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..shapes import number as _num
from . import columns as cols
from .curves import Context, aligned_train, fmt, scale_top, slope_t
from .findings import Event, Finding

GAP_MIN_ACCURACY = 0.75  # accuracy vs a balanced metric: accuracy >= 0.75 ...

GAP_MIN = 0.15  # ... and >= 0.15 above macro F1 / dice / IoU: the majority class carries the accuracy

METRIC_NOTHING = 0.05  # a validation mAP, F1 or dice that never exceeds 0.05: nothing is detected or segmented

LEARN_MIN_T = 2.0  # a return is learning when it rises with a significant slope (t >= 2) ...

LEARN_MIN_GAIN = 0.10  # ... and its last quarter beats its first by >= 10% (and one noise level)

VAL_BELOW_SHARE = 0.75  # validation below training at >= 75% of evaluations, and at the last one, ...

VAL_BELOW_GAP = 0.10  # ... by a median >= 10% of the training loss (a few % is just the epoch-average lag)

VAL_BELOW_PROBLEM = 0.50  # validation under half the training loss: not the same measurement (or a leak)

LOSS_FLOOR = 1e-3  # training losses below this are not compared: loggers round them (HF: 4 decimals) to 0

DETECTOR_METRIC_HOLDS = 0.10  # a detector's mAP within 10% of its best: a rising validation loss is not the headline

CHANCE_ACC = 0.005  # one evaluation at chance: accuracy within 0.005 of 1/C and loss >= 98% of ln(C)


SHOWN_RESTARTS = 5


def restarted_runs(ctx: Context) -> Finding | None:
    log = ctx.log
    if not log.runs:
        return None
    count = len(log.runs) + 1
    c = ctx.main
    span = f" ({ctx.where(c, 0)} to {ctx.where(c, len(c) - 1)}, {len(c)} points)" if c is not None and len(c) else ""
    shown = "; ".join(log.runs[:SHOWN_RESTARTS]) + (
        f"; and {len(log.runs) - SHOWN_RESTARTS} more" if len(log.runs) > SHOWN_RESTARTS else ""
    )  # a log that restarts every epoch must not print a screenful of positions
    evidence = (
        f"The counter starts again {len(log.runs)} time{'s' if count > 2 else ''} ({shown}): "
        f"{count} runs were written into this log, one after another. kb diagnoses the last run only{span}; "
        f"an earlier run may have ended differently (cut the file at those lines to diagnose one)."
    )
    return Finding(
        "restarted-runs",
        f"{count} runs in one log: diagnosing the last",
        "advice",
        "high",
        evidence,
        "an epoch or step counter that goes down (or the header repeated) starts a new run; the last run is "
        "the one diagnosed",
        ("training-curves", "saving-and-resuming"),
        {"runs": count, "restarts": list(log.runs)},
    )


def metric_gap(ctx: Context) -> Finding | None:
    """Accuracy high while macro F1 (or dice, IoU) is far lower: the majority class carries the accuracy."""
    log = ctx.log
    for role, acc in (("val", log.val_acc), ("train", log.train_acc)):
        names = [n for n in log.series if cols.role(n) == role and cols.kind(n) == "higher" and cols.balanced(n)]
        sizes = {n: len(log.series[n]) for n in names}
        name = cols.pick_metric(names, sizes)
        if acc is None or name is None:
            continue
        other = log.series[name]
        a, b = _end(acc.y), _end(other.y)
        if a is None or b is None:
            continue
        a, b = a / scale_top(acc.y), b / scale_top(other.y)
        if a < GAP_MIN_ACCURACY or a - b < GAP_MIN:
            return None
        evidence = (
            f"{acc.name} ends at {fmt(a)} while {name} ends at {fmt(b)}: {fmt(a - b)} lower. Accuracy counts "
            f"every example (or pixel) alike, so the majority class (the background, the common label) carries "
            f"it; the class-balanced metric shows the classes that matter are still largely missed. Judge the run "
            f"by {name}, and weigh or resample the rare classes."
        )
        return Finding(
            "metric-gap",
            f"Accuracy {fmt(a)} hides a {name} of {fmt(b)}: class imbalance",
            "problem",
            "high" if a - b >= 0.25 else "medium",
            evidence,
            f"accuracy (median of its last 3 values) >= {GAP_MIN_ACCURACY} and >= {GAP_MIN} above a class-balanced "
            f"metric of the same split (macro F1, dice, IoU, balanced accuracy, MCC); validation first; high at a "
            f"gap >= 0.25",
            ("class-imbalance", "metrics", "confusion-matrix"),
            {"accuracy": acc.name, "accuracy_end": _num(a), "balanced": name, "balanced_end": _num(b)},
            (),
            ("rebalance-classes",),
        )
    return None


def _end(y: np.ndarray) -> float | None:
    finite = y[np.isfinite(y)]
    return float(np.median(finite[-3:])) if len(finite) else None


def not_learning(ctx: Context) -> Finding | None:
    """Nothing is learned: a loss term that is exactly 0 in every row (it never sees a target), a validation
    metric that never leaves 0, or a return (RL) that never rises."""
    log = ctx.log
    zero = [
        n
        for n, s in log.series.items()
        if cols.kind(n) == "loss"
        and "(" not in n
        and len(s) >= 3
        and np.all(s.y == 0)
        and not _single_class_detection(n, log.series)
    ]
    nonzero = [n for n, s in log.series.items() if cols.kind(n) == "loss" and n not in zero and np.any(s.y != 0)]
    parts: list[str] = []
    data: dict = {}
    if zero and nonzero:
        parts.append(
            f"{', '.join(zero)} {'is' if len(zero) == 1 else 'are'} exactly 0 in every one of "
            f"{len(log.series[zero[0]])} rows while {nonzero[0]} is not: those loss terms never see a target "
            f"(empty or unmatched label files, a mask that removes every example)"
        )
        data["zero_losses"] = zero
    metric = log.val_metric
    scored = metric is not None and not metric.unbounded and len(metric) >= 5
    if (
        scored
        and cols.kind(metric.name) == "higher"
        and float(np.nanmax(metric.y)) / scale_top(metric.y) < METRIC_NOTHING
    ):
        best = float(np.nanmax(metric.y)) / scale_top(metric.y)
        parts.append(f"{metric.name} never got above {fmt(best)} in {len(metric)} evaluations")
        data["metric"], data["metric_best"] = metric.name, _num(best)
    elif scored and cols.kind(metric.name) in ("higher", "acc") and _frozen(metric.y):
        if ctx.main is not None and float(np.ptp(ctx.main.y)) > 0:
            parts.append(
                f"{metric.name} is {fmt(float(metric.y[-1]))} at every one of its {len(metric)} evaluations while the "
                f"loss moves: every validation example gets the same prediction (the majority class, a constant "
                f"output), so its accuracy is the share of that class"
            )
            data["metric"], data["metric_constant"] = metric.name, _num(float(metric.y[-1]))
    reward = _flat_return(ctx)
    if reward:
        parts.append(reward[0])
        data.update(reward[1])
    if not parts:
        return None
    evidence = "; ".join(parts) + "."
    if zero:
        evidence += " The model learns nothing useful from such data: check the labels before any hyperparameter."
    slugs = ("data-pipeline-bugs", "sanity-checks", "loss-not-decreasing")
    if "metric_constant" in data and not zero:
        slugs = ("constant-predictions", "class-imbalance", "sanity-checks")
    if reward and not zero:
        slugs = ("loss-not-decreasing", "sanity-checks", "training-length")
    title = "Not learning: " + ("a loss term is always 0" if zero else "nothing improves")
    if "metric_constant" in data and not zero and not reward:
        title = "Stuck at chance: the same prediction for every validation example"
    return Finding(
        "not-learning",
        title,
        "problem",
        "high" if zero or len(parts) > 1 else "medium",
        evidence,
        f"a loss column exactly 0 in every row (>= 3) beside a non-zero one (not a detector's cls loss beside its "
        f"box loss: YOLOv5 computes it only for two or more classes); or a validation mAP/F1/dice that never "
        f"exceeds {METRIC_NOTHING} over >= 5 evaluations, or a validation metric with the same value at every one "
        f"(>= 5) while the loss moves; or a return whose slope is not significantly up "
        f"(t < {LEARN_MIN_T:.0f}) and whose last quarter is not {LEARN_MIN_GAIN:.0%} above its first",
        slugs,
        data,
        (),
        ("check-data",) if zero else (),
    )


def _single_class_detection(name: str, series) -> bool:
    """A detector's classification loss beside its box loss: YOLOv5 computes it only with two or more classes
    (utils/loss.py: `if self.nc > 1:  # cls loss (only if multiple classes)`), so at 0 in every row it says the
    dataset has one class, not that the term never sees a target."""
    return "cls" in name.lower() and any("box" in other.lower() for other in series)


def _frozen(values: np.ndarray) -> bool:
    """The same value at every evaluation (to 1e-9), short of both ends (a perfect score at every evaluation is
    the plateau rule's "solved, or leaked"): a metric no change of the model moved."""
    finite = values[np.isfinite(values)]
    if len(finite) < 5 or float(np.ptp(finite)) > 1e-9 * max(1.0, float(np.abs(finite).max())):
        return False
    return 0 < float(finite[0]) / scale_top(finite) < 0.999


def _flat_return(ctx: Context) -> tuple[str, dict] | None:
    if not ctx.unbounded or ctx.main is None or len(ctx.main) < 8:
        return None
    c = ctx.main
    reward = -c.y  # the curve holds the negative return (lower is better)
    quarter = max(2, len(c) // 4)
    first, last = float(np.median(reward[:quarter])), float(np.median(reward[-quarter:]))
    _, t = slope_t(c.x, reward)
    if t >= LEARN_MIN_T and last - first >= max(LEARN_MIN_GAIN * abs(first), c.noise):
        return None
    text = (
        f"{c.name} shows no learning over {len(c)} points to {ctx.where(c, len(c) - 1)}: the median of its first "
        f"quarter is {fmt(first)} and of its last quarter {fmt(last)}, with no significant upward trend (t = "
        f"{t:.1f})"
    )
    return text, {"curve": c.name, "first_quarter": _num(first), "last_quarter": _num(last), "t": _num(t)}


def chance_at_last_eval(ctx: Context) -> Finding | None:
    """Too few points for a curve, but the last evaluation already says chance: accuracy 1/C, loss >= ln(C)."""
    log = ctx.log
    acc, loss = log.val_acc, log.val
    if acc is None or loss is None or loss is acc or not len(acc) or not len(loss):
        return None
    a = float(acc.y[-1]) / scale_top(acc.y)
    v = float(loss.y[-1])
    for k in range(2, 11):
        if abs(a - 1 / k) <= CHANCE_ACC and v >= 0.98 * math.log(k):
            evidence = (
                f"The last evaluation has {acc.name} {fmt(a)}, exactly 1/{k}, and {loss.name} {fmt(v)}, at or above "
                f"ln({k}) = {fmt(math.log(k))}: for {k} classes that is guessing, most likely one class predicted "
                f"for everything. Too few points for a trend, but enough to check the predictions first."
            )
            return Finding(
                "not-decreasing",
                f"Validation at chance: accuracy 1/{k}, loss >= ln {k}",
                "problem",
                "medium",
                evidence,
                f"fewer than 3 points, and the last validation accuracy is within {CHANCE_ACC} of 1/C with the "
                f"validation loss >= 98% of ln(C), C = 2..10",
                ("constant-predictions", "sanity-checks", "training-length"),
                {"curve": loss.name, "accuracy": _num(a), "loss": _num(v), "chance_classes": k},
                (Event(float(loss.x[-1]), "chance"),),
                ("check-data",),
            )
    return None


def val_below_train(ctx: Context) -> Finding | None:
    v, t = ctx.val, ctx.train
    if v is None or t is None or len(v) < 3 or ctx.higher_is_better:
        return None
    train_at = aligned_train(t, v)
    ok = np.isfinite(train_at) & (train_at >= LOSS_FLOOR)
    if ok.sum() < 3:
        return None
    below = v.y[ok] < train_at[ok]
    gap = float(np.median((train_at[ok] - v.y[ok]) / train_at[ok]))
    if below.mean() < VAL_BELOW_SHARE or not below[-1] or gap < VAL_BELOW_GAP:
        return None
    large = gap >= VAL_BELOW_PROBLEM
    ratio = float(np.median(train_at[ok] / np.maximum(v.y[ok], 1e-12)))
    if large:
        evidence = (
            f"{v.name} is {fmt(ratio)}x below training {ctx.metric} (median over {int(ok.sum())} evaluations; "
            f"last {fmt(v.y[-1])} vs {fmt(train_at[-1])}). Dropout and an epoch-averaged training loss explain "
            f"10-30%, not this: the two numbers are not the same measurement (a loss summed over gradient "
            f"accumulation steps or a batch, a different reduction or loss term) or the validation set is easier "
            f"or leaked. Compare them on the same batch before reading either."
        )
        slugs = ("val-loss-lower-than-train", "gradient-accumulation", "data-leakage", "data-splits")
    else:
        evidence = (
            f"{v.name} is below training {ctx.metric} at {int(below.sum())} of {int(ok.sum())} evaluations, by "
            f"a median {gap:.0%}, including the last ({fmt(v.y[-1])} vs {fmt(train_at[-1])}). Usually a "
            f"measurement effect: dropout/regularization act only in training, and the training loss is averaged "
            f"over an epoch while the model improves."
        )
        slugs = ("val-loss-lower-than-train", "dropout", "data-leakage")
    return Finding(
        "val-below-train",
        f"Validation {ctx.metric} {fmt(ratio)}x below training" if large else f"Validation {ctx.metric} below training",
        "problem" if large else "advice",
        "medium" if gap >= 0.2 else "low",
        evidence,
        f"validation below the training {ctx.metric} (mean of the training points since the previous "
        f"evaluation) at >= {VAL_BELOW_SHARE:.0%} of evaluations and at the last one, by a median >= "
        f"{VAL_BELOW_GAP:.0%} of training (evaluations where training is under {LOSS_FLOOR:g}, rounded to "
        f"nothing by the logger, are left out); a problem when below half of it (not the same measurement, or a "
        f"leak); medium when >= 20%",
        slugs,
        {"share_below": _num(float(below.mean())), "median_gap": _num(gap), "ratio": _num(ratio)},
        (),
        ("check-leakage",) if large else (),
    )


def loss_rises_while_map_holds(ctx: Context, overfit: Finding | None) -> Finding | None:
    """A detector's validation loss rose while its mAP, the number a detector is judged by, stayed within 10% of its
    best (median of the last 3 evaluations): the rise is worth knowing, not the headline (both blind readers of two
    YOLO runs called them plateaus; a YOLO run whose mAP fell 24% stays overfitting). Classifiers keep the loss's
    reading: their labellers called a rising loss overfitting even with accuracy flat. Returns the overfitting
    finding as advice, or None when it stands as it is."""
    metric = ctx.log.val_metric
    if overfit is None or metric is None or not metric.higher_is_better or not cols.is_detection_metric(metric.name):
        return None
    best, end = float(np.nanmax(metric.y)), _end(metric.y)
    if not (best > 0 and end is not None and (best - end) / best < DETECTOR_METRIC_HOLDS):
        return None
    evidence = (
        f"{overfit.evidence} {metric.name}, the detector's yardstick, holds near its best ({fmt(best)}; the last "
        f"evaluations {fmt(end)}, {(best - end) / best:.0%} below), so the validation loss rising is worth watching "
        f"rather than the headline: keep the checkpoint with the best {metric.name}."
    )
    return dataclasses.replace(
        overfit,
        title=f"Validation loss rises while {metric.name} holds",
        severity="advice",
        confidence="low",
        evidence=evidence,
        rule=overfit.rule + f"; shown as advice when the mAP stays within {DETECTOR_METRIC_HOLDS:.0%} of its best",
        advice=("early-stop",),
    )
