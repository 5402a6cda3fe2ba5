"""Where a run stands at its end: still improving, on a plateau, or underfitting. Judged on the curve that
matters (validation when it has at least 3 points, else training) with a tolerance that suits that curve's noise,
the learning rate the run ended at, and a validation metric already at its ceiling. "Train longer" is only ever
said from a validation curve that is still improving under a learning rate that has not been annealed away."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..shapes import number as _num
from .curves import MEDIAN_SE, Context, Curve, aligned_train, fmt, pct, slope_t
from .findings import Event, Finding
from .rules import DIVERGE_MIN_RATIO, STUCK_MAX_DROP

PLATEAU_WINDOW = 0.25  # the last 25% of the run (plateau: at least 4 points, still improving: 3) ...

MIN_GAIN = 0.01  # ... against as many points before it: a gain of its median under 1% of the level ...

GAIN_SE = 2.0  # ... or under 2 standard errors of the difference of the two medians (noise) is no gain ...

# ... and still improving needs that gain to be >= 1% of everything the curve has fallen so far: less is the slow
# tail of a converged run (a loss from 2.2 down to 0.026, then 0.004 more over its last quarter). Chosen on the dev
# half of the real logs, where it falls between 0.2% (converged, both experts) and 3.2% (still improving, both).
CONVERGED_SHARE = 0.01
PLATEAU_MAX_LOSS = 0.05  # ... plateau when neither a gain nor 5% (or that noise) worse: a rise is for other rules


UNDERFIT_MAX_DROP = 0.25  # underfitting: training loss ends above 75% of its start (above half at chance level) ...
# A fall of 25-50% used to be called underfitting with low confidence. How far a loss can fall depends on where it
# starts: a fine-tune starts near its floor (a LoRA run whose loss went 1.47 -> 0.89 while its validation loss kept
# pace, complete and converged, was told it underfits). Without a chance level to compare with, no reader can call
# such a run underfitting from the numbers, and no labeller of the real logs did.
UNDERFIT_AT_CHANCE_MAX_DROP = 0.50

UNDERFIT_MAX_GAP = 0.10  # ... with validation within 10% of training (no generalization gap to speak of)

SLOW_MAX_DROP = 0.25  # "falls far too slowly": under 25% down in the whole run and still falling

LOSS_AT_ZERO = 0.001  # a loss 1000x below where it started has reached ~0: a perfect fit of what it measures

PERFECT = 0.001  # a validation metric within 0.1% of its top (accuracy 0.999+) has nothing left to gain


def end_state(ctx: Context) -> Finding | None:
    """A plateau or "still improving" finding for the end of the run, or None (neither can be said)."""
    if ctx.unbounded:
        return None
    perfect = _perfect_metric(ctx)
    if perfect is not None:
        return perfect
    val = ctx.val if ctx.val is not None and len(ctx.val) >= 3 else None
    curve = val or ctx.train
    if curve is None:
        return None
    improving = _still_improving(ctx, curve)
    if improving is not None or len(curve) < 8:
        return improving
    return _plateau(ctx, curve)


@dataclass(frozen=True)
class Tail:
    """The last quarter of a curve against the same number of points just before it."""

    window: int
    level: float  # median of the window
    previous: float | None  # median of the points before it (None: fewer than 3 of them)
    tolerance: float  # the smallest change of the median that is more than noise
    t: float  # t statistic of the slope over the window


def tail(c: Curve, least: int) -> Tail:
    n = len(c)
    window = min(n, max(least, math.ceil(PLATEAU_WINDOW * n)))
    level = float(np.median(c.y[-window:]))
    before = c.y[max(0, n - 2 * window) : n - window]
    previous = float(np.median(before)) if len(before) >= 3 else None
    se = MEDIAN_SE * c.noise * math.sqrt(1 / window + 1 / max(len(before), 1))
    tolerance = max(MIN_GAIN * abs(previous if previous is not None else level), GAIN_SE * se)
    return Tail(window, level, previous, tolerance, slope_t(c.x[-window:], c.y[-window:])[1])


def _no_validation_text(ctx: Context) -> str:
    if ctx.val is None:
        return (
            " No validation curve was logged, so whether the model generalizes (or starts to overfit) cannot be judged."
        )
    return f" Validation has only {len(ctx.val)} point(s), too few to read a trend from."


def _still_improving(ctx: Context, c: Curve) -> Finding | None:
    n = len(c)
    if n < 3:
        return None
    end = tail(c, 3)
    window = end.window
    if int(np.argmin(c.smooth)) < n - window:
        return None  # the best point is earlier
    x, y = c.x[-window:], c.y[-window:]
    slope = slope_t(x, y)[0]
    level = abs(end.level)
    if end.previous is not None:  # the window's median clearly below the stretch before it, and still sloping down
        gain = end.previous - end.level
        significant = end.t < -2 if window >= 4 else bool((np.diff(y) < 0).all())
        if not significant or gain < end.tolerance:
            return None
    else:  # too short for two stretches: every step down, by >= 1% of the level in all
        gain = -slope * float(np.ptp(x))
        if not (np.diff(c.y) < 0).all() or level <= 0 or gain < MIN_GAIN * level:
            return None
    if gain < CONVERGED_SHARE * (float(np.max(c.smooth)) - end.level):
        return None  # still falling, but by a sliver of what the run has gained: converged (a long, slow tail)
    t = end.t
    on_val = c is ctx.val
    data = {"curve": c.name, "gain_last_window": _num(gain), "window_points": window, "t": _num(t)}
    if on_val and ctx.lr is not None and ctx.lr.decayed:
        return None  # the last gains are the learning rate annealing to its end: the schedule ran its course
    evidence = (
        f"{c.name} is at its best at the end and still falling: about {fmt(gain)} ({pct(gain / level)}) over "
        f"the last {window} points, to {fmt(float(c.y[-1]))} at {ctx.where(c, n - 1)}."
    )
    if ctx.lr is not None and ctx.lr.rising:
        evidence += f" The learning rate was still rising (warmup) when the run ended: {ctx.lr.text()}."
    if on_val:
        evidence += " More epochs would likely still help."
        title, advice = "Still improving at the end: train longer", ("train-longer",)
    else:
        evidence += _no_validation_text(ctx)
        title, advice = f"Training {ctx.metric} still falling at the end", ()
    return Finding(
        "still-improving",
        title,
        "advice",
        "high" if t < -4 else "medium",
        evidence,
        f"on validation (training when validation has under 3 points): the smoothed curve is lowest in the last "
        f"{PLATEAU_WINDOW:.0%} of the run (>= 3 points), that window slopes down significantly (t < -2; every step "
        f"down for 3 points) and its median is below that of as many points before it by >= {MIN_GAIN:.0%} of the "
        f"level and >= {GAIN_SE:.0f} standard errors (curves too short for two stretches: every step down, >= "
        f"{MIN_GAIN:.0%} in all), and that gain is >= {CONVERGED_SHARE:.0%} of the run's whole fall (less is a "
        f"converged run's slow tail); 'train longer' only from validation, and not when the learning rate has been "
        f"annealed below 10% of its peak; high when t < -4",
        ("training-length", "learning-rate-schedule", "early-stopping")
        if on_val
        else ("training-curves", "training-length", "data-splits"),  # first: log a validation curve
        data,
        (Event(float(c.x[-1]), "improving"),),
        advice,
    )


def _plateau(ctx: Context, c: Curve) -> Finding | None:
    end = tail(c, 4)
    window, tolerance = end.window, end.tolerance
    start = float(c.y[0])
    if end.previous is None or start <= 0:
        return None
    if start - min(end.previous, end.level) < max(STUCK_MAX_DROP * start, 3 * c.noise):
        return None  # never fell: that is "not decreasing"
    if not ctx.higher_is_better and max(end.level, end.previous) <= LOSS_AT_ZERO * start:
        return None  # flat at ~0 after falling 1000x: nothing left to gain, so no "decay the learning rate"
    gain = end.previous - end.level
    if gain >= tolerance and end.t < -2:
        return None  # still improving: the last quarter is lower than the one before and still sloping down
    # (lower but flat, t >= -2, is a plateau at a new level: the step down came before the last quarter)
    drifting = gain <= -max(tolerance, PLATEAU_MAX_LOSS * end.previous)  # worse, but short of a divergence
    if c is ctx.train and ctx.val is not None and len(ctx.val) >= 2:
        v = ctx.val.y
        if v[-1] < (1 - MIN_GAIN) * float(v[:-1].min()):
            return None  # validation still improved at its last evaluation: training is just slow at the end
    reached = np.concatenate([c.y[:1], c.smooth[1:]])  # the first point as logged: smoothing pulls it down
    since = int(np.argmax(reached <= min(end.level, end.previous) + tolerance))
    level = end.level
    chance = ctx.chance if ctx.at_chance(c) else None
    evidence = (
        f"{c.name} has stopped improving since {ctx.where(c, since)}: the median of its last {window} points "
        f"({fmt(level)}) is "
        + (
            f"{pct(-gain / end.previous) if end.previous > 0 else fmt(-gain)} above that of the {window} before: "
            f"drifting up, though not (yet) the "
            f"{DIVERGE_MIN_RATIO}x of a divergence."
            if drifting
            else f"below that of the {window} before ({fmt(end.previous)}), but flat within them: the step down came "
            f"earlier."
            if gain >= tolerance
            else f"within its noise of that of the {window} before ({fmt(end.previous)}; a real gain would be over "
            f"{fmt(tolerance)})."
        )
    )
    if chance:
        evidence += f" It never got clearly below {ctx.chance_text()}."
    advice: tuple[str, ...] = ()
    if chance:
        severity, slugs = "problem", ("learning-rate", "underfitting", "learning-rate-schedule", "loss-not-decreasing")
        evidence += " The model stopped learning at chance level."
        if start > 1.5 * math.log(chance):
            evidence += (
                f" Its first value, {fmt(start)}, is {fmt(start / math.log(chance))}x the chance level: "
                f"training blew up at the very start (typically a learning rate far too high) and the model "
                f"collapsed to predicting class frequencies."
            )
        confidence = "medium"
    else:
        severity, slugs = "advice", ("learning-rate-schedule", "training-length", "early-stopping")
        if ctx.lr is not None and ctx.lr.decayed:
            evidence += (
                f" {ctx.lr.text()[0].upper()}{ctx.lr.text()[1:]}: the run has converged and more epochs would not "
                f"help; stopping at the plateau (early stopping) saves the compute."
            )
            advice = ("early-stop",)
            slugs = ("early-stopping", "learning-rate-schedule", "training-length")
        elif drifting:
            evidence += (
                " A loss that creeps back up at an undecayed learning rate is taking steps too large for this "
                "stage: decay the learning rate (a schedule), or stop at the best point."
            )
            advice = ("lower-lr", "early-stop")
        else:
            evidence += (
                " Training has converged at this learning rate: decay it (a schedule) for a last gain, or stop "
                "earlier and save the compute."
            )
            advice = ("lower-lr", "early-stop")
        confidence = "medium" if window >= 8 else "low"
    if c is ctx.train:
        evidence += _no_validation_text(ctx)
        if severity == "advice":  # what to do first without a validation curve: log one
            slugs = ("training-curves", *slugs)
    return Finding(
        "plateau",
        f"Plateau since {ctx.where(c, since)}" + (", drifting up" if drifting else ""),
        severity,
        confidence,
        evidence,
        f"on validation (training when validation has under 3 points), >= 8 points: after falling >= "
        f"{STUCK_MAX_DROP:.0%} (and 3 noise levels), the median of the last {PLATEAU_WINDOW:.0%} (>= 4 points) is "
        f"not below that of as many points before it by {MIN_GAIN:.0%} of the level or {GAIN_SE:.0f} standard "
        f"errors, or is below it but not sloping down within the window (t >= -2) ('drifting up' when above it by "
        f"{PLATEAU_MAX_LOSS:.0%} and that noise, short of a divergence); a "
        f"problem when it stalls at chance, else advice (no 'decay the learning rate' when it already ended below "
        f"10% of its peak)",
        slugs,
        {
            "curve": c.name,
            "since": ctx.where.data(c, since),
            "level": _num(level),
            "gain": _num(gain),
            "drifting_up": drifting,
            "tolerance": _num(tolerance),
            "window_points": window,
            "chance_classes": chance,
        },
        (Event(float(c.x[since]), "plateau"),),
        advice,
    )


def _perfect_metric(ctx: Context) -> Finding | None:
    """A validation metric at its ceiling (accuracy 1.0) over the last half of the run: nothing left to learn."""
    metric = ctx.val_metric or (ctx.val if ctx.higher_is_better else None)
    series = ctx.log.val_metric or (ctx.log.val if ctx.higher_is_better else None)
    if metric is None or series is None or len(metric) < 3 or not series.higher_is_better:
        return None
    top = 100.0 if float(np.max(series.y[np.isfinite(series.y)], initial=0)) > 1 + 1e-9 else 1.0
    perfect = metric.y <= PERFECT * top
    if not perfect[len(perfect) // 2 :].all():
        return None
    since = len(perfect) - int(np.argmin(perfect[::-1])) if not perfect.all() else 0
    evidence = (
        f"{metric.name} is {fmt(top)} (perfect) at every evaluation since {ctx.where(metric, since)} "
        f"({len(metric) - since} of {len(metric)}): the task is solved on this validation set and the later "
        f"epochs add nothing measurable. A perfect score is also worth checking: duplicated or near-identical "
        f"examples across the split, or a feature that gives the label away, produce the same numbers."
    )
    return Finding(
        "plateau",
        f"Plateau at a perfect {metric.name} since {ctx.where(metric, since)}",
        "problem",
        "medium",
        evidence,
        f"the validation metric is within {PERFECT:.1%} of its top at every evaluation of the second half of the "
        f"run (>= 3 evaluations)",
        ("data-leakage", "early-stopping", "baselines"),
        {"curve": metric.name, "since": ctx.where.data(metric, since), "evaluations": len(metric)},
        (Event(float(metric.x[since]), "perfect"),),
        ("early-stop", "check-leakage"),
    )


RESUMED_SHARE = 0.2  # a log whose first point lies past 20% of its last (and 2 logging intervals) starts mid-run


def resumed(c: Curve) -> bool:
    """The curve starts well after the run did: a run resumed from a checkpoint ("loaded checkpoint (epoch 352)",
    then epochs 352-519), or a log kept only for the end of training."""
    x = c.x
    return len(x) >= 2 and float(x[0]) > max(2 * float(x[1] - x[0]), RESUMED_SHARE * float(x[-1]))


def underfitting(ctx: Context) -> Finding | None:
    c = ctx.train
    if c is None or len(c) < 5 or ctx.unbounded:
        return None
    if resumed(c):
        return None  # the log starts mid-run: how far the loss fell from its true start is not in it
    s = c.smooth
    start, end = float(c.y[0]), float(s[-1])
    if start <= 0:
        return None
    drop = (start - end) / start
    chance = ctx.chance if ctx.at_chance(c) else None
    if drop >= (UNDERFIT_AT_CHANCE_MAX_DROP if chance else UNDERFIT_MAX_DROP):
        return None
    if end >= DIVERGE_MIN_RATIO * float(s.min()):
        return None
    gap = None
    if ctx.val is not None and len(ctx.val) >= 2:
        train_at = aligned_train(c, ctx.val)
        v_end, t_end = float(np.median(ctx.val.y[-3:])), float(np.nanmedian(train_at[-3:]))
        gap = (v_end - t_end) / t_end if t_end > 0 else 0.0
        if gap > UNDERFIT_MAX_GAP:  # a real generalization gap: not (only) underfitting
            return None
    still_falling = False
    for curve in (c, ctx.val):
        if curve is not None and len(curve) >= 4:
            tail = max(4, int(len(curve) * PLATEAU_WINDOW))
            still_falling |= slope_t(curve.x[-tail:], curve.y[-tail:])[1] < -2
    if still_falling and drop >= SLOW_MAX_DROP:
        return None  # a good way down and still going: a run that is still improving, not one that cannot learn
    if not still_falling and gap is None:
        return None  # flat well above its start, but with no validation beside it that is a plateau, not a verdict
    evidence = (
        f"{c.name} fell only {pct(drop)} over the run ({fmt(start)} -> {fmt(end)} by "
        f"{ctx.where(c, len(c) - 1)})"
        + (f", and validation ends within {pct(max(gap, 0.0))} of it" if gap is not None else "")
        + "."
    )
    if still_falling:
        evidence += (
            " It is still falling slowly and steadily at the end: the learning rate is probably far too "
            "low (or the run far too short)."
        )
        slugs = ("underfitting", "learning-rate", "training-length", "learning-rate-finder")
    else:
        slugs = ("underfitting", "bias-variance", "learning-rate", "training-length")
    if chance:
        evidence += f" It never got clearly below {ctx.chance_text()}."
    # Without validation, a loss still falling slowly is read with low confidence: a per-epoch training loss
    # starts at the first epoch's average, after much of the fall, and nothing shows how low it should get; a
    # surer "still improving" leads then.
    guess = still_falling and gap is None and drop >= STUCK_MAX_DROP  # under 10% is stuck, a problem either way
    return Finding(
        "underfitting",
        "Underfitting: training loss is still high"
        if not still_falling
        else "Underfitting: the loss falls far too slowly",
        "advice" if guess else "problem",
        "low" if guess else "medium",
        evidence,
        f"smoothed training {ctx.metric} ends above {1 - UNDERFIT_MAX_DROP:.0%} of its start (above "
        f"{1 - UNDERFIT_AT_CHANCE_MAX_DROP:.0%} when it ends at chance level) and validation ends within "
        f"{UNDERFIT_MAX_GAP:.0%} of training (with no validation, only 'falls too slowly', when the last "
        f"{PLATEAU_WINDOW:.0%} of training or validation still slopes down significantly, t < -2)",
        slugs,
        {
            "start": _num(start),
            "end": _num(end),
            "drop": _num(drop),
            "val_gap": _num(gap),
            "still_falling": still_falling,
            "chance_classes": chance,
        },
        (),
        ("raise-lr",) if still_falling else (),
    )
