"""The rules that read the loss curves' shape: nan/inf, divergence, a loss not decreasing (or stuck at chance),
and overfitting. Each reads the curves (kb.diagnosis.curves) and returns
a Finding or None.

Rule-based on the numbers (no model, no torch): each rule has fixed, documented thresholds (docs/diagnose.md is the
reference; keep the two in step). Rules judge a rolling-median smoothed copy of a curve so one noisy point neither
makes nor hides a finding, and they run on the finite part of the log: values after the first nan/inf are
reported by the non-finite rule and not judged again. Every step is an array operation: no loop over points.
"""

from __future__ import annotations

import math

import numpy as np

from ..shapes import number as _num
from .curves import (
    CHANCE_BAND,
    CHANCE_GUESS,
    MEDIAN_SE,
    MIN_POINTS,
    ROLE_NAMES,
    Context,
    Curve,
    aligned_train,
    fmt,
    pct,
    rolling_median,
    slope_t,
)
from .findings import Event, Finding

DIVERGE_MIN_RATIO = 1.5  # divergence: the smoothed training loss ends >= 1.5x its minimum ...

DIVERGE_MIN_CLIMB = 0.25  # ... having climbed back >= 25% of the way from its minimum to its start

EXPLODE_RATIO = 10.0  # divergence also: a point >= 10x the first value, never followed by a loss 10% below the first

STUCK_MAX_DROP = 0.10  # not decreasing: the loss never gets 10% below where it started

CHANCE_GAP = 0.02  # validation stuck at chance while training ends >= 2% of ln(C) below validation

OVERFIT_MIN_RISE = 0.10  # overfitting: validation ends >= 10% above its minimum (Prechelt's GL > 10) ...

OVERFIT_MIN_AFTER = 3  # ... with >= 3 evaluations after the minimum ...

OVERFIT_TRAIN_FALL = 0.05  # ... while training loss fell >= 5% after the validation minimum

RISE_NOISE = 1.0  # ... and the rise is more than the noise of single evaluations around the smoothed curve

NEVER_IMPROVES_GAIN = 0.03  # overfitting from the start: no later block of validation 3% (and 2 SE) below its first

NEVER_IMPROVES_TRAIN = 0.10  # ... while training falls >= 10% over the same blocks, with a significant slope


def non_finite(ctx: Context) -> Finding | None:
    if not ctx.nonfinite:
        return None
    role, series, first, x, y, epoch = min(ctx.nonfinite, key=lambda item: item[3][item[2]])
    curve = Curve(series.name, x, y, epoch, y, 0.0)
    finite_before = y[:first][np.isfinite(y[:first])]
    kind = "nan" if math.isnan(y[first]) else "inf"
    count = int((~np.isfinite(y)).sum())
    where = ctx.where(curve, first)
    data = {
        "column": series.name,
        "first": {**ctx.where.data(curve, first), "value": str(y[first])},
        "non_finite_points": count,
        "points": len(y),
    }
    advice: tuple[str, ...] = ()
    if len(finite_before) == 0:
        evidence = (
            f"{series.name} is {kind} from the first logged value ({where}); {count} of {len(y)} points are non-finite."
        )
        slugs = ("nan-loss", "missing-values", "input-normalization", "sanity-checks")
        title = f"{ROLE_NAMES[role]} {ctx.metric} is {kind} from the start"
        advice = ("check-data",)
    else:
        low, last = float(finite_before.min()), float(finite_before[-1])
        data.update(last_finite=_num(last), min_before=_num(low))
        rose = last >= 2 * low and last - low > 0
        evidence = (
            f"{series.name} became {kind} at {where}; the last finite value was {fmt(last)}"
            + (f", up from a minimum of {fmt(low)}: it diverged first" if rose else "")
            + "."
        )
        slugs = (
            ("nan-loss", "learning-rate", "exploding-gradients")
            if rose
            else ("nan-loss", "exploding-gradients", "mixed-precision", "learning-rate")
        )
        advice = ("lower-lr",) if rose else ()
        title = f"{ROLE_NAMES[role]} {ctx.metric} becomes {kind} at {where}"
    return Finding(
        "non-finite",
        title,
        "problem",
        "high",
        evidence,
        "any nan or inf value in the training or validation curve (always high confidence: it is in the "
        "log); the finite part before it is judged by the other rules",
        slugs,
        data,
        (Event(float(x[first]), kind),),
        advice,
    )


def divergence(ctx: Context) -> Finding | None:
    c = ctx.train
    if c is None or len(c) < MIN_POINTS or ctx.unbounded:
        return None
    s, y = c.smooth, c.y
    start, i_min = float(y[0]), int(np.argmin(s))
    low, end = float(s[i_min]), float(s[-1])
    exploded_into_nan = bool(ctx.nonfinite)
    rule = (
        f"smoothed training {ctx.metric} ends >= {DIVERGE_MIN_RATIO}x its minimum having climbed back >= "
        f"{DIVERGE_MIN_CLIMB:.0%} of the way to its first value, the last 3 points all above (high when it ends "
        f"above its first value, at 10x its minimum or in nan/inf; medium at >= 50% of the way); or a point >= "
        f"{EXPLODE_RATIO:.0f}x the first value with the loss never again 10% below the first value (high)"
    )
    slugs = ("learning-rate", "exploding-gradients", "warmup", "loss-spikes")
    i_peak = int(np.argmax(y))
    if start > 0 and y[i_peak] >= EXPLODE_RATIO * start and float(s[i_peak:].min()) >= (1 - STUCK_MAX_DROP) * start:
        if _validation_unharmed(ctx, float(c.x[int(np.argmax(y >= EXPLODE_RATIO * start))])):
            return None
        after = float(np.median(y[i_peak:]))
        evidence = (
            f"{c.name} exploded from {fmt(start)} to {fmt(float(y[i_peak]))} at {ctx.where(c, i_peak)} "
            f"({fmt(y[i_peak] / start)}x) and never got back below its first value (median {fmt(after)} "
            f"since): the weights were thrown off by steps that were far too large."
        )
        if ctx.at_chance(c):
            evidence += f" It now sits at or above {ctx.chance_text()}: the model predicts nothing."
        data = {
            "start": _num(start),
            "peak": {**ctx.where.data(c, i_peak), "value": _num(float(y[i_peak]))},
            "median_after": _num(after),
        }
        title = f"Training diverged at {ctx.where(c, i_peak)}"
        events = (Event(float(c.x[i_peak]), "diverges"),)
        return Finding("divergence", title, "problem", "high", evidence, rule, slugs, data, events, ("lower-lr",))
    if i_min == len(s) - 1 or end < DIVERGE_MIN_RATIO * low or end <= low:
        return None
    climb = (end - low) / (start - low) if start > low else math.inf
    if climb < DIVERGE_MIN_CLIMB:
        return None
    # sustained: the last points all sit above the threshold (a single spike at the end is not a divergence)
    tail = y[-min(3, len(c) - i_min - 1) :]
    if not exploded_into_nan and not (tail >= DIVERGE_MIN_RATIO * low).all():
        return None
    onset = i_min + int(np.argmax(s[i_min:] >= DIVERGE_MIN_RATIO * low))
    if _validation_unharmed(ctx, float(c.x[onset])):
        return None
    confidence = "high" if climb >= 1 or end >= 10 * low or exploded_into_nan else "medium" if climb >= 0.5 else "low"
    ratio = end / low if low > 0 else math.inf
    evidence = (
        f"{c.name} fell to {fmt(low)} at {ctx.where(c, i_min)}, then rose to {fmt(end)} by "
        f"{ctx.where(c, len(c) - 1)} ({ratio:.1f}x its minimum; it started at {fmt(start)}), rising since "
        f"{ctx.where(c, onset)}" + (", and then turned non-finite." if exploded_into_nan else ".")
    )
    data = {
        "min": {**ctx.where.data(c, i_min), "value": _num(low)},
        "end": {**ctx.where.data(c, len(c) - 1), "value": _num(end)},
        "onset": ctx.where.data(c, onset),
        "start": _num(start),
        "ratio_to_min": _num(ratio),
    }
    title = f"Training diverges from {ctx.where(c, onset)}"
    events = (Event(float(c.x[onset]), "diverges"),)
    return Finding("divergence", title, "problem", confidence, evidence, rule, slugs, data, events, ("lower-lr",))


VAL_UNHARMED_POINTS = 3  # validation evaluated at least 3 times after the training loss began to climb ...
VAL_UNHARMED_RISE = 0.10  # ... and never 10% above where it stood then: the model did not diverge


def _validation_unharmed(ctx: Context, x_from: float) -> bool:
    """Validation went on improving (or held) while the training loss climbed: weights thrown off by steps too
    large would harm both. A training loss that rises alone measures a changing objective (a curriculum that makes
    the task harder, a loss weight that grows), not a divergence."""
    v = ctx.val
    if v is None:
        return False
    after = v.y[v.x >= x_from]
    before = v.y[v.x < x_from]
    if len(after) < VAL_UNHARMED_POINTS:
        return False
    level = float(before[-1]) if len(before) else float(after[0])
    return bool(np.isfinite(after).all() and float(after.max()) <= (1 + VAL_UNHARMED_RISE) * level)


def diverged_from(ctx: Context) -> float:
    """Where the divergence began (spikes after it are part of it, not findings of their own)."""
    t = ctx.train
    return float(t.x[int(np.argmax(t.smooth >= DIVERGE_MIN_RATIO * t.smooth.min()))])


def _trend(c: Curve | None) -> tuple[float, float] | None:
    """(drop from the first value to the best smoothed one, t of the slope over the whole run), or None."""
    if c is None or len(c) < 5:
        return None
    start = float(c.y[0])
    drop = (start - float(c.smooth.min())) / start if start > 0 else 0.0
    return drop, slope_t(c.x, c.y)[1]


def _val_stays_at_chance(ctx: Context) -> bool:
    """Validation never beats chance while training pulls away below it (the shuffled-labels signature); a
    validation loss creeping toward ln(C) from above still counts, since that floor is chance itself."""
    v, t = ctx.val, ctx.train
    if v is None or len(v) < 5 or not ctx.at_chance(v):
        return False
    chance = math.log(ctx.chance)
    v_end = float(np.median(v.y[-3:]))
    if t is None:
        return True
    return v_end - float(np.median(t.y[-3:])) >= CHANCE_GAP * chance


def not_decreasing(ctx: Context) -> Finding | None:
    if ctx.unbounded:
        return None  # a return has no floor to fall toward: see not-learning
    train, val = _trend(ctx.train), _trend(ctx.val)
    flat = lambda t: t is not None and t[0] < STUCK_MAX_DROP and t[1] >= -3
    val_falls = val is not None and val[1] < -3  # a clean validation curve can show the trend a noisy one hides
    if (flat(train) and not val_falls) or (train is None and flat(val)):
        c = ctx.train if train is not None else ctx.val
        title = f"{'Training' if c is ctx.train else 'Validation'} {ctx.metric} not decreasing from the start"
    elif _val_stays_at_chance(ctx):
        c = ctx.val
        title = f"Validation {ctx.metric} never beats chance"
    else:
        return None
    start, best = float(c.y[0]), float(c.smooth.min())
    drop = (start - best) / start if start > 0 else 0.0
    evidence = (
        f"{c.name} started at {fmt(start)} and its best (smoothed) was {fmt(best)}, {drop:.1%} lower, over "
        f"{len(c)} points to {ctx.where(c, len(c) - 1)}"
        + (", with no steady downward trend." if "chance" not in title else ".")
    )
    slugs = ("loss-not-decreasing", "sanity-checks", "learning-rate", "data-pipeline-bugs")
    at_chance = ctx.at_chance(c)
    if c is ctx.val and train is not None and not flat(train):
        t = ctx.train
        evidence += (
            f" Meanwhile training {ctx.metric} went {fmt(float(t.y[0]))} -> {fmt(float(t.y[-1]))}: the "
            f"model memorizes training labels that carry no signal it can use on new data."
        )
    if at_chance:
        evidence += f" It never gets clearly below {ctx.chance_text()}: predictions no better than guessing."
        title += f", stuck at chance (ln {ctx.chance})" if "chance" not in title else f" (ln {ctx.chance})"
    if c is ctx.val:
        evidence += (
            " Usual causes: labels that do not match the inputs (shuffled or misaligned), or features that carry "
            "no information about the target."
        )
        slugs = ("loss-not-decreasing", "label-noise", "data-pipeline-bugs", "constant-predictions")
    else:
        evidence += (
            " Usual causes: no update reaching the weights (missing optimizer.step, frozen parameters), a "
            "learning rate far too low, or labels that do not match the inputs."
        )
    return Finding(
        "not-decreasing",
        title,
        "problem",
        "high" if at_chance or drop < 0.03 else "medium",
        evidence,
        f"training {ctx.metric} never gets {STUCK_MAX_DROP:.0%} below its first value (best smoothed point) and "
        f"has no significant downward slope (t >= -3); or validation stays at chance while training ends >= "
        f"{CHANCE_GAP:.0%} of ln(C) below it. 'At chance': the first loss, or the last quarter's median, is within "
        f"{CHANCE_GUESS:.0%} of ln(C), C = 2..10 (or --classes C), and the curve never gets {CHANCE_BAND:.0%} below "
        f"ln(C); high at chance or below 3%, else medium",
        slugs,
        {
            "curve": c.name,
            "start": _num(start),
            "best": _num(best),
            "drop": _num(drop),
            "chance_classes": ctx.chance if at_chance else None,
        },
        (Event(float(c.x[0]), "stuck"),),
        ("check-data",) if c is ctx.val else (),
    )


OVERFIT_RULE = (
    "validation {metric} (3-point rolling median) reaches its minimum, then the median of its last 3 values is >= "
    f"{OVERFIT_MIN_RISE:.0%} (and one noise level) above it (Prechelt's generalization loss GL > "
    f"{OVERFIT_MIN_RISE * 100:.0f}) with >= "
    f"{OVERFIT_MIN_AFTER} evaluations after the minimum and a significant upward slope since (t >= 2), while "
    f"training {{metric}} falls >= {OVERFIT_TRAIN_FALL:.0%}; or, in blocks of a fifth of the run (>= 3 points), no "
    f"later block's median is {NEVER_IMPROVES_GAIN:.0%} (and 2 standard errors) below the first one's while "
    f"training falls >= {NEVER_IMPROVES_TRAIN:.0%} over the same blocks with a significant slope (t < -3); high when "
    f">= 25% above and >= 5 evaluations after, or never improving over >= 10 evaluations"
)
OVERFIT_SLUGS = ("overfitting", "early-stopping", "weight-decay", "data-augmentation", "small-dataset")


def overfitting(ctx: Context) -> Finding | None:
    v, t = ctx.val, ctx.train
    if v is None or t is None or len(v) < OVERFIT_MIN_AFTER + 2 or ctx.unbounded:
        return None
    never = _never_improves(ctx)
    if never is not None:
        return never
    # a 3-point rolling median: one lucky evaluation is not the minimum, one unlucky one is not a rise
    smooth = rolling_median(v.y, 3) if len(v) >= 8 else v.y
    i_min = int(np.argmin(smooth))
    after = len(v) - 1 - i_min
    if after < OVERFIT_MIN_AFTER:
        return None
    best = float(smooth[i_min])
    end = float(np.median(v.y[-3:]))
    rise = (end - best) / best if best > 0 else math.inf
    if rise < OVERFIT_MIN_RISE or end - best < RISE_NOISE * v.noise:
        return None  # under 10%, or within the noise of a curve that jumps by more than that
    _, t_rise = slope_t(v.x[i_min:], v.y[i_min:])
    rising = t_rise >= 2 if after >= 4 else bool((v.y[-3:] > (1 + OVERFIT_MIN_RISE) * best).all())
    if not rising:
        return None  # up and down around the minimum: noise (see the noisy rule), not a trend
    train_at = aligned_train(t, v)
    t_best, t_end = float(train_at[i_min]), float(np.nanmedian(train_at[-3:]))
    if not (math.isfinite(t_best) and t_end <= (1 - OVERFIT_TRAIN_FALL) * t_best):
        return None
    confidence = "high" if rise >= 0.25 and after >= 5 else "medium"
    # the smoothed minimum finds the turn; the checkpoint to keep is the evaluation that was really lowest there
    lo = max(0, i_min - 1)
    i_best = lo + int(np.argmin(v.y[lo : i_min + 2]))
    raw_best = float(v.y[i_best])
    start_i = min(i_best + 1, len(v) - 1)
    shown_rise = (end - raw_best) / raw_best if raw_best > 0 else rise
    evidence = (
        f"{v.name} was lowest at {ctx.where(v, i_best)} ({fmt(raw_best)}) and rose to {fmt(end)} "
        f"(+{shown_rise:.0%}) over the next {len(v) - 1 - i_best} evaluations, while training {ctx.metric} "
        f"kept falling from {fmt(t_best)} to {fmt(t_end)}. Overfitting started after "
        f"{ctx.where(v, i_best)}; the best checkpoint is there."
    )
    data = {
        "best": {**ctx.where.data(v, i_best), "value": _num(raw_best)},
        "started": ctx.where.data(v, start_i),
        "val_end": _num(end),
        "rise": _num(rise),
        "evaluations_after_best": after,
        "train_at_best": _num(t_best),
        "train_end": _num(t_end),
    }
    evidence += _metric_meanwhile(ctx, i_best, data)
    return Finding(
        "overfitting",
        f"Overfitting from {ctx.where(v, start_i)}",
        "problem",
        confidence,
        evidence,
        OVERFIT_RULE.format(metric=ctx.metric),
        OVERFIT_SLUGS,
        data,
        (Event(float(v.x[i_best]), "overfitting after best val"),),
        ("early-stop", "add-regularization"),
    )


def _never_improves(ctx: Context) -> Finding | None:
    """Validation never gets better while training does: the model fits the training set from the first epoch."""
    v, t = ctx.val, ctx.train
    train = _trend(t)
    if train is None or train[0] < NEVER_IMPROVES_TRAIN or train[1] >= -3 or ctx.at_chance(v):
        return None
    # both curves in blocks of >= 3 evaluations: no later block of validation is clearly below its first block,
    # while training, over the same blocks, fell >= 10% (both falling early and flat together is no overfitting)
    size = max(3, len(v) // 5)
    usable = len(v) - len(v) % size
    if usable < 2 * size:  # fewer than two blocks (under 6 evaluations): nothing to compare the first one with
        return None
    train_at = aligned_train(t, v)
    blocks = np.median(v.y[:usable].reshape(-1, size), axis=1)
    train_blocks = np.nanmedian(train_at[:usable].reshape(-1, size), axis=1)
    start, best = float(blocks[0]), float(blocks[1:].min())
    noise = 2 * MEDIAN_SE * v.noise * math.sqrt(2 / size)
    if start <= 0 or start - best >= max(NEVER_IMPROVES_GAIN * start, noise):
        return None
    t_start, t_best = float(train_blocks[0]), float(np.nanmin(train_blocks[1:]))
    if not (t_start > 0 and t_start - t_best >= NEVER_IMPROVES_TRAIN * t_start):
        return None
    gap_start = float(v.y[0] - train_at[0]) if math.isfinite(train_at[0]) else math.nan
    evidence = (
        f"{v.name} never improved: its first stretch ({size} evaluations) sits at {fmt(start)} and no later one "
        f"got clearly lower (best {fmt(best)}) over "
        f"{len(v)} evaluations to {ctx.where(v, len(v) - 1)} (last {fmt(float(v.y[-1]))}), while training "
        f"{ctx.metric} fell {pct(train[0])} ({fmt(float(t.y[0]))} -> {fmt(float(t.y[-1]))}). What the model "
        f"learns fits the training set only: overfitting from the first evaluation."
    )
    data = {"val_start": _num(start), "val_best": _num(best), "train_drop": _num(train[0])}
    evidence += _metric_meanwhile(ctx, 0, data)
    if math.isfinite(gap_start) and gap_start > 0:
        data["gap_at_start"] = _num(gap_start)
    return Finding(
        "overfitting",
        f"Overfitting from {ctx.where(v, 0)}: validation never improves",
        "problem",
        "high" if len(v) >= 10 else "medium",
        evidence,
        OVERFIT_RULE.format(metric=ctx.metric),
        OVERFIT_SLUGS,
        data,
        (Event(float(v.x[0]), "validation never improves"),),
        ("early-stop", "add-regularization"),
    )


def _metric_meanwhile(ctx: Context, i_best: int, data: dict) -> str:
    """'Validation accuracy meanwhile: 0.93 -> 0.91.' when the validation metric was logged beside the loss."""
    metric, v = ctx.log.val_metric, ctx.val
    if metric is None or len(metric) != len(ctx.log.val) or ctx.higher_is_better:
        return ""
    values = metric.y[np.argsort(metric.x, kind="stable")][: len(v)]
    if len(values) != len(v):
        return ""
    data["metric"] = metric.name
    data["metric_at_best"], data["metric_end"] = _num(values[i_best]), _num(values[-1])
    return f" {metric.name} meanwhile: {fmt(values[i_best])} -> {fmt(values[-1])}."
