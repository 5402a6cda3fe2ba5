"""The rules of `kb diagnose`: each reads the curves (kb.diagnosis.curves) and returns a Finding or None.

Rule-based on the numbers (no model, no torch): each rule below has fixed, documented thresholds
(docs/diagnose.md is the reference; keep the two in step). Rules judge a rolling-median smoothed copy of a curve
so one noisy point neither makes nor hides a finding, and they run on the finite part of the log: values after the
first nan/inf are reported by the non-finite rule and not judged again.
"""

from __future__ import annotations

import math

import numpy as np

from ..shapes import number as _num
from .curves import (
    CHANCE_BAND,
    CHANCE_GUESS,
    MIN_POINTS,
    ROLE_NAMES,
    Curve,
    rolling_median,
)
from .curves import (
    Context as _Context,
)
from .curves import (
    aligned_train as _aligned_train,
)
from .curves import (
    fmt as _fmt,
)
from .curves import (
    pct as _pct,
)
from .curves import (
    slope_t as _slope_t,
)
from .findings import SEVERITY_ORDER, Event, Finding
from .logs import TrainingLog

# Thresholds (see docs/diagnose.md for where each comes from).
# Thresholds (see docs/diagnose.md for where each comes from).
DIVERGE_MIN_RATIO = 1.5  # divergence: the smoothed training loss ends >= 1.5x its minimum ...

DIVERGE_MIN_CLIMB = 0.25  # ... having climbed back >= 25% of the way from its minimum to its start

STUCK_MAX_DROP = 0.10  # not decreasing: the loss never gets 10% below where it started

UNDERFIT_MAX_DROP = 0.50  # underfitting: training loss ends above half its start ...

UNDERFIT_MAX_GAP = 0.10  # ... with validation within 10% of training (no generalization gap to speak of)

PLATEAU_WINDOW = 0.25  # plateau: the last 25% of the run (at least 4 points) ...

PLATEAU_MIN_GAIN = 0.01  # ... improves the best loss by less than 1% (and is not more than 5% worse than it)

PLATEAU_MAX_LOSS = 0.05

OVERFIT_MIN_RISE = 0.10  # overfitting: validation ends >= 10% above its minimum (Prechelt's GL > 10) ...

OVERFIT_MIN_AFTER = 3  # ... with >= 3 evaluations after the minimum ...

OVERFIT_TRAIN_FALL = 0.05  # ... while training loss fell >= 5% after the validation minimum

SPIKE_RATIO = 2.0  # spike: a point >= 2x the median of the 10 points before it ...

SPIKE_NOISE = 6.0  # ... and more than 6x their typical step-to-step change above it

SPIKE_CONTEXT = 10

NOISE_MIN_LEVEL = 0.15  # noisy: in the second half, jitter around the trend >= 15% of the loss level ...

NOISE_MIN_DROP = 0.10  # ... and >= 10% of the drop achieved so far (minibatch noise on a fast-falling curve is normal)

VAL_BELOW_SHARE = 0.75  # validation below training at >= 75% of evaluations, and at the last one, ...

VAL_BELOW_GAP = 0.10  # ... by a median >= 10% of the training loss (a few % is just the epoch-average lag)

IMPROVING_WINDOW = 0.25  # still improving: best value in the last 25% and a significant downward slope there ...

IMPROVING_MIN_GAIN = 0.01  # ... worth >= 1% of the level over that window

EXPLODE_RATIO = 10.0  # divergence also: a point >= 10x the first value, never followed by a loss 10% below the first

CHANCE_GAP = 0.02  # validation stuck at chance while training ends >= 2% of ln(C) below validation


def _non_finite(ctx: _Context) -> Finding | None:
    if not ctx.nonfinite:
        return None
    role, series, first, x, y, epoch = min(ctx.nonfinite, key=lambda item: item[3][item[2]])
    curve = Curve(series.name, x, y, epoch, y)
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
    if len(finite_before) == 0:
        evidence = (
            f"{series.name} is {kind} from the first logged value ({where}); {count} of {len(y)} points are non-finite."
        )
        slugs = ("nan-loss", "missing-values", "input-normalization", "sanity-checks")
        title = f"{ROLE_NAMES[role]} {ctx.metric} is {kind} from the start"
    else:
        low, last = float(finite_before.min()), float(finite_before[-1])
        data.update(last_finite=_num(last), min_before=_num(low))
        rose = last >= 2 * low and last - low > 0
        evidence = (
            f"{series.name} became {kind} at {where}; the last finite value was {_fmt(last)}"
            + (f", up from a minimum of {_fmt(low)}: it diverged first" if rose else "")
            + "."
        )
        slugs = (
            ("nan-loss", "learning-rate", "exploding-gradients")
            if rose
            else ("nan-loss", "exploding-gradients", "mixed-precision", "learning-rate")
        )
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
    )


def _divergence(ctx: _Context) -> Finding | None:
    c = ctx.train
    if c is None or len(c) < MIN_POINTS:
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
        after = float(np.median(y[i_peak:]))
        evidence = (
            f"{c.name} exploded from {_fmt(start)} to {_fmt(float(y[i_peak]))} at {ctx.where(c, i_peak)} "
            f"({_fmt(y[i_peak] / start)}x) and never got back below its first value (median {_fmt(after)} "
            f"since): the weights were thrown off by steps that were far too large."
        )
        if ctx.at_chance(c):
            evidence += f" It now sits at or above {ctx.chance_text()}: the model predicts nothing."
        return Finding(
            "divergence",
            f"Training diverged at {ctx.where(c, i_peak)}",
            "problem",
            "high",
            evidence,
            rule,
            slugs,
            {
                "start": _num(start),
                "peak": {**ctx.where.data(c, i_peak), "value": _num(float(y[i_peak]))},
                "median_after": _num(after),
            },
            (Event(float(c.x[i_peak]), "diverges"),),
        )
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
    confidence = "high" if climb >= 1 or end >= 10 * low or exploded_into_nan else "medium" if climb >= 0.5 else "low"
    ratio = end / low if low > 0 else math.inf
    evidence = (
        f"{c.name} fell to {_fmt(low)} at {ctx.where(c, i_min)}, then rose to {_fmt(end)} by "
        f"{ctx.where(c, len(c) - 1)} ({ratio:.1f}x its minimum; it started at {_fmt(start)}), rising since "
        f"{ctx.where(c, onset)}" + (", and then turned non-finite." if exploded_into_nan else ".")
    )
    return Finding(
        "divergence",
        f"Training diverges from {ctx.where(c, onset)}",
        "problem",
        confidence,
        evidence,
        rule,
        slugs,
        {
            "min": {**ctx.where.data(c, i_min), "value": _num(low)},
            "end": {**ctx.where.data(c, len(c) - 1), "value": _num(end)},
            "onset": ctx.where.data(c, onset),
            "start": _num(start),
            "ratio_to_min": _num(ratio),
        },
        (Event(float(c.x[onset]), "diverges"),),
    )


def _trend(c: Curve | None) -> tuple[float, float] | None:
    """(drop from the first value to the best smoothed one, t of the slope over the whole run), or None."""
    if c is None or len(c) < 5:
        return None
    start = float(c.y[0])
    drop = (start - float(c.smooth.min())) / start if start > 0 else 0.0
    return drop, _slope_t(c.x, c.y)[1]


def _val_stays_at_chance(ctx: _Context) -> bool:
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


def _not_decreasing(ctx: _Context) -> Finding | None:
    train, val = _trend(ctx.train), _trend(ctx.val)
    flat = lambda t: t is not None and t[0] < STUCK_MAX_DROP and t[1] >= -3
    val_falls = val is not None and val[1] < -3  # a clean validation curve can show the trend a noisy one hides
    val_trendless = flat(val) and abs(val[1]) < 3  # neither falling nor rising (rising is overfitting's)
    if (flat(train) and not val_falls) or (train is None and flat(val)):
        c = ctx.train if train is not None else ctx.val
        title = f"{'Training' if c is ctx.train else 'Validation'} {ctx.metric} not decreasing from the start"
    elif _val_stays_at_chance(ctx) or (val_trendless and train is not None):
        c = ctx.val
        title = (
            f"Validation {ctx.metric} never improves"
            if not ctx.at_chance(c)
            else f"Validation {ctx.metric} never beats chance"
        )
    else:
        return None
    start, best = float(c.y[0]), float(c.smooth.min())
    drop = (start - best) / start if start > 0 else 0.0
    evidence = (
        f"{c.name} started at {_fmt(start)} and its best (smoothed) was {_fmt(best)}, {drop:.1%} lower, over "
        f"{len(c)} points to {ctx.where(c, len(c) - 1)}"
        + (", with no steady downward trend." if "chance" not in title else ".")
    )
    slugs = ("loss-not-decreasing", "sanity-checks", "learning-rate", "data-pipeline-bugs")
    at_chance = ctx.at_chance(c)
    if c is ctx.val and train is not None and not flat(train):
        t = ctx.train
        evidence += (
            f" Meanwhile training {ctx.metric} went {_fmt(float(t.y[0]))} -> {_fmt(float(t.y[-1]))}: the "
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
        f"has no significant downward slope (t >= -3); or validation does that with no trend at all "
        f"(|t| < 3), or stays at chance while training ends >= {CHANCE_GAP:.0%} of ln(C) below it. 'At "
        f"chance': the first loss, or the last quarter's median, is within {CHANCE_GUESS:.0%} of ln(C), "
        f"C = 2..10 (or --classes C), and the curve never gets {CHANCE_BAND:.0%} below ln(C); high at "
        f"chance or below 3%, else medium",
        slugs,
        {
            "curve": c.name,
            "start": _num(start),
            "best": _num(best),
            "drop": _num(drop),
            "chance_classes": ctx.chance if at_chance else None,
        },
        (Event(float(c.x[0]), "stuck"),),
    )


def _overfitting(ctx: _Context) -> Finding | None:
    v, t = ctx.val, ctx.train
    if v is None or t is None or len(v) < OVERFIT_MIN_AFTER + 2:
        return None
    # a 3-point rolling median: one lucky evaluation is not the minimum, one unlucky one is not a rise
    smooth = rolling_median(v.y, 3) if len(v) >= 8 else v.y
    i_min = int(np.argmin(smooth))
    after = len(v) - 1 - i_min
    if after < OVERFIT_MIN_AFTER:
        return None
    best = float(smooth[i_min])
    end = float(np.median(v.y[-3:]))
    rise = (end - best) / best if best > 0 else math.inf
    if rise < OVERFIT_MIN_RISE:
        return None
    _, t_rise = _slope_t(v.x[i_min:], v.y[i_min:])
    rising = t_rise >= 2 if after >= 4 else bool((v.y[-3:] > (1 + OVERFIT_MIN_RISE) * best).all())
    if not rising:
        return None  # up and down around the minimum: noise (see the noisy rule), not a trend
    train_at = _aligned_train(t, v)
    t_best, t_end = float(train_at[i_min]), float(np.nanmedian(train_at[-3:]))
    if not (math.isfinite(t_best) and t_end <= (1 - OVERFIT_TRAIN_FALL) * t_best):
        return None
    confidence = "high" if rise >= 0.25 and after >= 5 else "medium"
    # the smoothed minimum finds the turn; the checkpoint to keep is the evaluation that was really lowest there
    lo = max(0, i_min - 1)
    i_best = lo + int(np.argmin(v.y[lo : i_min + 2]))
    raw_best = float(v.y[i_best])
    start_i = i_best + 1
    shown_rise = (end - raw_best) / raw_best if raw_best > 0 else rise
    evidence = (
        f"{v.name} was lowest at {ctx.where(v, i_best)} ({_fmt(raw_best)}) and rose to {_fmt(end)} "
        f"(+{shown_rise:.0%}) over the next {len(v) - 1 - i_best} evaluations, while training {ctx.metric} "
        f"kept falling from {_fmt(t_best)} to {_fmt(t_end)}. Overfitting started after "
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
    if ctx.log.val_acc is not None and len(ctx.log.val_acc) == len(ctx.log.val) and not ctx.higher_is_better:
        acc = ctx.log.val_acc.y[np.argsort(ctx.log.val_acc.x, kind="stable")][: len(v)]
        if len(acc) == len(v):
            evidence += f" Validation accuracy meanwhile: {_fmt(acc[i_best])} -> {_fmt(acc[-1])}."
            data["val_acc_at_best"], data["val_acc_end"] = _num(acc[i_best]), _num(acc[-1])
    return Finding(
        "overfitting",
        f"Overfitting from {ctx.where(v, start_i)}",
        "problem",
        confidence,
        evidence,
        f"validation {ctx.metric} (3-point rolling median) reaches its minimum, then the median of its "
        f"last 3 values is >= {OVERFIT_MIN_RISE:.0%} above it (Prechelt's generalization loss GL > "
        f"{OVERFIT_MIN_RISE * 100:.0f}) with >= {OVERFIT_MIN_AFTER} evaluations after the minimum and a "
        f"significant upward slope since (t >= 2), while training {ctx.metric} falls >= "
        f"{OVERFIT_TRAIN_FALL:.0%}; high when >= 25% above and >= 5 evaluations after",
        ("overfitting", "early-stopping", "weight-decay", "data-augmentation", "small-dataset"),
        data,
        (Event(float(v.x[i_best]), "overfitting after best val"),),
    )


def _underfitting(ctx: _Context) -> Finding | None:
    c = ctx.train
    if c is None or len(c) < 5:
        return None
    s = c.smooth
    start, end = float(c.y[0]), float(s[-1])
    if start <= 0:
        return None
    drop = (start - end) / start
    if drop >= UNDERFIT_MAX_DROP or end >= DIVERGE_MIN_RATIO * float(s.min()):
        return None
    gap = None
    if ctx.val is not None and len(ctx.val) >= 2:
        train_at = _aligned_train(c, ctx.val)
        v_end, t_end = float(np.median(ctx.val.y[-3:])), float(np.nanmedian(train_at[-3:]))
        gap = (v_end - t_end) / t_end if t_end > 0 else 0.0
        if gap > UNDERFIT_MAX_GAP:  # a real generalization gap: not (only) underfitting
            return None
    still_falling = False
    for curve in (c, ctx.val):
        if curve is not None and len(curve) >= 4:
            tail = max(4, int(len(curve) * IMPROVING_WINDOW))
            still_falling |= _slope_t(curve.x[-tail:], curve.y[-tail:])[1] < -2
    evidence = (
        f"{c.name} fell only {_pct(drop)} over the run ({_fmt(start)} -> {_fmt(end)} by "
        f"{ctx.where(c, len(c) - 1)})"
        + (f", and validation ends within {_pct(max(gap, 0.0))} of it" if gap is not None else "")
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
    chance = ctx.chance if ctx.at_chance(c) else None
    if chance:
        evidence += f" It never got clearly below {ctx.chance_text()}."
    confidence = "medium" if drop < 0.25 or chance else "low"
    return Finding(
        "underfitting",
        "Underfitting: training loss is still high"
        if not still_falling
        else "Underfitting: the loss falls far too slowly",
        "problem",
        confidence,
        evidence,
        f"smoothed training {ctx.metric} ends above {1 - UNDERFIT_MAX_DROP:.0%} of its start, validation "
        f"(if logged) within {UNDERFIT_MAX_GAP:.0%} of training; 'falls too slowly' when the last "
        f"{IMPROVING_WINDOW:.0%} of training or validation still slopes down significantly (t < -2); "
        f"medium when it fell "
        f"< 25% or ends at chance level, else low",
        slugs,
        {
            "start": _num(start),
            "end": _num(end),
            "drop": _num(drop),
            "val_gap": _num(gap),
            "still_falling": still_falling,
            "chance_classes": chance,
        },
    )


def _plateau(ctx: _Context) -> Finding | None:
    c = ctx.train if ctx.train is not None else ctx.val
    if c is None or len(c) < 8:
        return None
    s = c.smooth
    n = len(s)
    window = max(4, math.ceil(PLATEAU_WINDOW * n))
    before, inside = float(s[: n - window].min()), float(s[n - window :].min())
    start = float(c.y[0])
    if start <= 0 or (start - before) / start < STUCK_MAX_DROP:
        return None  # never fell: that is "not decreasing"
    gain = (before - inside) / before if before > 0 else 0.0
    if not -PLATEAU_MAX_LOSS < gain < PLATEAU_MIN_GAIN:
        return None  # still improving, or clearly worse than before (a rise is for the other rules)
    if ctx.val is not None and c is ctx.train and len(ctx.val) >= 8:
        v = ctx.val.smooth
        vw = max(4, math.ceil(PLATEAU_WINDOW * len(v)))
        v_before, v_inside = float(v[: len(v) - vw].min()), float(v[len(v) - vw :].min())
        if v_before > 0 and (v_before - v_inside) / v_before >= PLATEAU_MIN_GAIN:
            return None  # validation still improves: training is just slow at the end
    since = int(np.argmax(s <= before * (1 + PLATEAU_MIN_GAIN)))
    level = float(np.median(c.y[n - window :]))
    high = level >= (1 - UNDERFIT_MAX_DROP) * start
    chance = ctx.chance if ctx.at_chance(c) else None
    evidence = (
        f"{c.name} has stayed at about {_fmt(level)} since {ctx.where(c, since)}: the last {window} points "
        f"improve its best by {gain:.1%}."
    )
    if chance:
        evidence += f" It never got clearly below {ctx.chance_text()}."
    if high or chance:
        severity, slugs = "problem", ("learning-rate", "underfitting", "learning-rate-schedule", "loss-not-decreasing")
        evidence += " The loss is still high: the model stopped learning early."
        if chance and start > 1.5 * math.log(chance):
            evidence += (
                f" Its first value, {_fmt(start)}, is {_fmt(start / math.log(chance))}x the chance level: "
                f"training blew up at the very start (typically a learning rate far too high) and the model "
                f"collapsed to predicting class frequencies."
            )
        confidence = "medium"
    else:
        severity, slugs = "advice", ("learning-rate-schedule", "training-length", "early-stopping")
        evidence += (
            " Training has converged at this learning rate: decay it (a schedule) for a last gain, or stop "
            "earlier and save the compute."
        )
        confidence = "medium" if window >= 8 else "low"
    return Finding(
        "plateau",
        f"Plateau since {ctx.where(c, since)}",
        severity,
        confidence,
        evidence,
        f"after falling >= {STUCK_MAX_DROP:.0%}, the last {PLATEAU_WINDOW:.0%} of the run (>= 4 points) "
        f"improves the best smoothed {ctx.metric} by < {PLATEAU_MIN_GAIN:.0%}, validation too; a problem "
        f"when it stalls above {1 - UNDERFIT_MAX_DROP:.0%} of its start or at chance, else advice",
        slugs,
        {
            "since": ctx.where.data(c, since),
            "level": _num(level),
            "gain": _num(gain),
            "window_points": window,
            "chance_classes": chance,
        },
        (Event(float(c.x[since]), "plateau"),),
    )


def _spikes(ctx: _Context, stop_x: float) -> Finding | None:
    c = ctx.train if ctx.train is not None else ctx.val
    if c is None or len(c) < 2 * SPIKE_CONTEXT:
        return None
    y = c.y
    found: list[tuple[int, float, float]] = []
    i = SPIKE_CONTEXT
    while i < len(y):
        if c.x[i] >= stop_x:
            break
        context = y[i - SPIKE_CONTEXT : i]
        base = float(np.median(context))
        noise = float(np.median(np.abs(np.diff(context)))) if len(context) > 1 else 0.0
        if base > 0 and y[i] >= SPIKE_RATIO * base and y[i] - base > SPIKE_NOISE * noise:
            j = peak = i  # one event while points stay within 2x of its peak (a loss that settles higher ends it)
            while j + 1 < len(y) and y[j + 1] >= SPIKE_RATIO * base and y[j + 1] >= y[peak] / SPIKE_RATIO:
                j += 1
                peak = j if y[j] > y[peak] else peak
            found.append((peak, float(y[peak]), base))
            i = j + SPIKE_CONTEXT  # judge the next spike against a clean context
            continue
        i += 1
    if not found:
        return None
    biggest = max(found, key=lambda f: f[1] / f[2])
    ratio = biggest[1] / biggest[2]
    confidence = "high" if ratio >= 5 or len(found) >= 3 else "medium"
    listed = "; ".join(f"{ctx.where(c, i)}: {_fmt(v)} vs {_fmt(b)} before" for i, v, b in found[:5])
    evidence = (
        f"{len(found)} spike{'s' if len(found) > 1 else ''} in {c.name} (largest {_fmt(ratio)}x the level "
        f"before it): {listed}{' ...' if len(found) > 5 else ''}."
    )
    before_first = float(np.median(y[max(0, found[0][0] - SPIKE_CONTEXT) : found[0][0]]))
    settled = float(np.median(y[-max(3, len(y) // 10) :]))
    if found[-1][0] < len(y) - 3 and settled >= SPIKE_RATIO * before_first:
        evidence += (
            f" The loss did not recover: it settled at {_fmt(settled)}, {_fmt(settled / before_first)}x the "
            f"level before the first spike."
        )
    return Finding(
        "spikes",
        f"Loss spikes ({len(found)})",
        "problem",
        confidence,
        evidence,
        f"a point >= {SPIKE_RATIO}x the median of the {SPIKE_CONTEXT} points before it and more than "
        f"{SPIKE_NOISE}x their median step-to-step change above it (needs >= {2 * SPIKE_CONTEXT} points); "
        f"high when one is >= 5x or there are >= 3",
        ("loss-spikes", "exploding-gradients", "warmup", "learning-rate"),
        {"spikes": [{**ctx.where.data(c, i), "value": _num(v), "before": _num(b)} for i, v, b in found]},
        tuple(Event(float(c.x[i]), "spike") for i, _, _ in found),
    )


def _noisy(ctx: _Context) -> Finding | None:
    worst = None
    for c in (ctx.val, ctx.train):
        if c is None or len(c) < 20:
            continue
        half = c.y[len(c) // 2 :]
        trend = rolling_median(half, 5)
        jitter = 1.4826 * float(np.median(np.abs(half - trend)))
        level = float(np.median(trend))
        drop = float(c.y[0]) - level
        if level <= 0 or jitter < NOISE_MIN_LEVEL * level or jitter < NOISE_MIN_DROP * max(drop, 0.0):
            continue
        score = jitter / level
        if worst is None or score > worst[0]:
            worst = (score, c, jitter, level, drop)
    if worst is None:
        return None
    score, c, jitter, level, drop = worst
    which = "validation" if c is ctx.val else "training"
    evidence = (
        f"In the second half of the run {c.name} jitters by about {_fmt(jitter)} around a level of "
        f"{_fmt(level)} ({score:.0%} of it, and {jitter / max(drop, 1e-12):.0%} of all it gained before)."
    )
    why = (
        "a small validation set, or weights still moving a lot late in training"
        if which == "validation"
        else "a learning rate that is too high late in training, or small batches"
    )
    evidence += f" Usual causes: {why}."
    return Finding(
        "noisy",
        f"Noisy, oscillating {which} {ctx.metric}",
        "problem",
        "medium" if score >= 0.3 else "low",
        evidence,
        f"in the second half (>= 20 points), the robust spread around a 5-point rolling median is >= "
        f"{NOISE_MIN_LEVEL:.0%} of the level and >= {NOISE_MIN_DROP:.0%} of the drop before it; medium at "
        f">= 30% of the level",
        ("learning-rate-schedule", "learning-rate", "batch-size", "training-curves"),
        {"curve": c.name, "jitter": _num(jitter), "level": _num(level), "relative": _num(score)},
    )


def _val_below_train(ctx: _Context) -> Finding | None:
    v, t = ctx.val, ctx.train
    if v is None or t is None or len(v) < 3:
        return None
    train_at = _aligned_train(t, v)
    ok = np.isfinite(train_at)
    if ok.sum() < 3:
        return None
    below = v.y[ok] < train_at[ok]
    gap = float(np.median((train_at[ok] - v.y[ok]) / train_at[ok]))
    if below.mean() < VAL_BELOW_SHARE or not below[-1] or gap < VAL_BELOW_GAP:
        return None
    large = gap >= 0.5
    evidence = (
        f"{v.name} is below training {ctx.metric} at {int(below.sum())} of {int(ok.sum())} evaluations, by a "
        f"median {gap:.0%}, including the last ({_fmt(v.y[-1])} vs {_fmt(train_at[-1])}). Usually a measurement "
        f"effect: dropout/regularization act only in training, and the training loss is averaged over an "
        f"epoch while the model improves."
    )
    if large:
        evidence += " A gap this large can also mean an easier or leaked validation set: check the split."
    return Finding(
        "val-below-train",
        f"Validation {ctx.metric} below training {ctx.metric}",
        "advice",
        "medium" if gap >= 0.2 else "low",
        evidence,
        f"validation below the training {ctx.metric} (mean of the training points since the previous "
        f"evaluation) at >= {VAL_BELOW_SHARE:.0%} of evaluations and at the last one, by a median >= "
        f"{VAL_BELOW_GAP:.0%} of training; medium when >= 20%",
        ("val-loss-lower-than-train", "dropout", "data-leakage")
        if not large
        else ("val-loss-lower-than-train", "data-leakage", "data-splits"),
        {"share_below": _num(float(below.mean())), "median_gap": _num(gap)},
    )


def _still_improving(ctx: _Context) -> Finding | None:
    c = ctx.val if ctx.val is not None and len(ctx.val) >= 4 else ctx.train
    if c is None or len(c) < 4:
        return None
    n = len(c)
    window = max(3, math.ceil(IMPROVING_WINDOW * n))
    if int(np.argmin(c.smooth)) < n - window:
        return None  # the best point is earlier
    x, y = c.x[-window:], c.y[-window:]
    slope, t = _slope_t(x, y)
    gain = -slope * float(np.ptp(x))
    level = float(np.median(y))
    significant = t < -2 if window >= 4 else bool((np.diff(y) < 0).all())
    if not significant or level <= 0 or gain < IMPROVING_MIN_GAIN * level:
        return None
    which = "validation" if c is ctx.val else "training"
    evidence = (
        f"{c.name} is at its best at the end and still falling: about {_fmt(gain)} ({gain / level:.0%}) over "
        f"the last {window} points, to {_fmt(float(c.y[-1]))} at {ctx.where(c, n - 1)}. More steps would "
        f"likely help."
    )
    return Finding(
        "still-improving",
        "Still improving at the end: train longer",
        "advice",
        "high" if t < -4 else "medium",
        evidence,
        f"the smoothed {which} {ctx.metric} is lowest in the last {IMPROVING_WINDOW:.0%} of the run and "
        f"falls there with a significant slope (t < -2) worth >= {IMPROVING_MIN_GAIN:.0%} of its level; "
        f"high when t < -4",
        ("training-length", "learning-rate-schedule", "early-stopping"),
        {"curve": c.name, "gain_last_window": _num(gain), "window_points": window, "t": _num(t)},
        (Event(float(c.x[-1]), "improving"),),
    )


def _summary(ctx: _Context) -> str:
    parts = []
    for role, c in (("training", ctx.train), ("validation", ctx.val)):
        if c is None or not len(c):
            continue
        i_best = int(np.argmin(c.y))
        parts.append(
            f"{role} {ctx.metric} ({c.name}) {_fmt(float(c.y[0]))} -> {_fmt(float(c.y[-1]))}, best "
            f"{_fmt(float(c.y[i_best]))} at {ctx.where(c, i_best)}"
        )
    return "; ".join(parts) or "no finite values"


def diagnose_log(log: TrainingLog, classes: int | None = None) -> tuple[list[Finding], str]:
    """Run every rule on a log that is already read; findings come most important first."""
    ctx = _Context(log, classes)
    findings: list[Finding] = []
    nonfinite = _non_finite(ctx)
    if nonfinite:
        findings.append(nonfinite)
    points = max(len(ctx.train) if ctx.train is not None else 0, len(ctx.val) if ctx.val is not None else 0)
    if points < MIN_POINTS:
        if not findings:
            findings.append(
                Finding(
                    "not-enough-data",
                    "Not enough data to diagnose",
                    "problem",
                    "high",
                    f"the log has {points} finite point(s) per curve; the rules need at least "
                    f"{MIN_POINTS} (most need 5 or more).",
                    f"fewer than {MIN_POINTS} finite points",
                    ("training-curves",),
                    {"points": points},
                )
            )
        return findings, _summary(ctx)
    divergence = _divergence(ctx)
    stuck = None if divergence else _not_decreasing(ctx)
    overfit = None if divergence or stuck else _overfitting(ctx)
    under = None if divergence or stuck or overfit else _underfitting(ctx)
    plateau = None if divergence or stuck or overfit else _plateau(ctx)
    stop_x = (
        float(ctx.train.x[int(np.argmax(ctx.train.smooth >= DIVERGE_MIN_RATIO * ctx.train.smooth.min()))])
        if divergence and ctx.train is not None
        else math.inf
    )
    spikes = _spikes(ctx, stop_x)
    noisy = None if divergence or stuck else _noisy(ctx)
    below = None if divergence else _val_below_train(ctx)
    improving = (
        None if divergence or stuck or overfit or (plateau and plateau.severity == "problem") else _still_improving(ctx)
    )
    findings += [f for f in (divergence, stuck, overfit, under, plateau, spikes, noisy, below, improving) if f]
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.id != "non-finite"))  # stable: rule order within
    return findings, _summary(ctx)
