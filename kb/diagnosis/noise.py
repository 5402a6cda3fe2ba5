"""Spikes and noise, judged against how often the log was written: a loss logged every step is one mini-batch
per point and jumps by nature; one logged per epoch is an average and should not. Vectorized: the context of
every point is a sliding window, and only the few points that stand out are looked at one by one."""

from __future__ import annotations

import numpy as np

from ..shapes import number as _num
from .curves import Context, fmt, rolling_median
from .findings import Event, Finding

SPIKE_CONTEXT = 10  # a spike is judged against the 10 points before it ...

SPIKE_RATIO = 2.0  # ... per epoch: >= 2x their median and more than 6x their median step-to-step change above it

SPIKE_NOISE = 6.0

SPIKE_RATIO_STEP = 3.0  # per step (single mini-batches): >= 3x and more than 10x the step-to-step change

SPIKE_NOISE_STEP = 10.0

SPIKE_MAX_SHARE = 0.05  # more "spikes" than 5% of the points is heavy-tailed noise, not spikes

NOISE_MIN_POINTS = 20  # noisy: at least 20 points (10 in the second half) ...

NOISE_MIN_LEVEL = 0.15  # ... in the second half, jitter around the trend >= 15% of the loss level ...

NOISE_MIN_DROP = 0.10  # ... and >= 10% of the drop achieved so far (minibatch noise on a fast-falling curve is normal)


def spikes(ctx: Context, stop_x: float) -> Finding | None:
    c = ctx.train if ctx.train is not None else ctx.val
    if c is None or len(c) < 2 * SPIKE_CONTEXT:
        return None
    y = c.y
    before = np.lib.stride_tricks.sliding_window_view(y[:-1], SPIKE_CONTEXT)  # the 10 points before y[10:]
    base = np.median(before, axis=1)
    change = np.median(np.abs(np.diff(before, axis=1)), axis=1)
    ratio, noise = (SPIKE_RATIO_STEP, SPIKE_NOISE_STEP) if ctx.per_step else (SPIKE_RATIO, SPIKE_NOISE)
    later = y[SPIKE_CONTEXT:]
    # above the level before it by more than `noise` x the larger of the local step-to-step change and the noise
    # of the whole curve around its smoothed copy (a quiet stretch of a noisy curve makes no spike)
    stands_out = (base > 0) & (later >= ratio * base) & (later - base > noise * np.maximum(change, c.noise))
    stands_out &= c.x[SPIKE_CONTEXT:] < stop_x
    candidates = np.nonzero(stands_out)[0] + SPIKE_CONTEXT
    if not len(candidates) or len(candidates) > max(5, SPIKE_MAX_SHARE * len(y)):
        return None
    found: list[tuple[int, float, float]] = []
    next_free = 0
    for i in candidates:  # bounded: at most 5% of the points
        if i < next_free:
            continue
        b = float(base[i - SPIKE_CONTEXT])
        # one event while the points stay >= ratio x the level before and within 2x of the peak so far
        rest = y[i:]
        held = (rest >= ratio * b) & (rest >= np.maximum.accumulate(rest) / SPIKE_RATIO)
        end = i + (int(np.argmin(held)) if not held.all() else len(rest)) - 1
        peak = i + int(np.argmax(y[i : end + 1]))
        found.append((peak, float(y[peak]), b))
        next_free = end + SPIKE_CONTEXT  # judge the next spike against a clean context
    biggest = max(found, key=lambda f: f[1] / f[2])
    top = biggest[1] / biggest[2]
    listed = "; ".join(f"{ctx.where(c, i)}: {fmt(v)} vs {fmt(b)} before" for i, v, b in found[:5])
    evidence = (
        f"{len(found)} spike{'s' if len(found) > 1 else ''} in {c.name} (largest {fmt(top)}x the level "
        f"before it): {listed}{' ...' if len(found) > 5 else ''}."
    )
    before_first = float(np.median(y[max(0, found[0][0] - SPIKE_CONTEXT) : found[0][0]]))
    settled = float(np.median(y[-max(3, len(y) // 10) :]))
    recovered = not (found[-1][0] < len(y) - 3 and settled >= SPIKE_RATIO * before_first)
    if not recovered:
        evidence += (
            f" The loss did not recover: it settled at {fmt(settled)}, {fmt(settled / before_first)}x the "
            f"level before the first spike."
        )
    elif ctx.per_step:
        evidence += " Each recovered at once: with one mini-batch per point, an odd batch now and then is normal."
    serious = not recovered or (not ctx.per_step and (len(found) >= 3 or top >= 5))
    return Finding(
        "spikes",
        f"Loss spikes ({len(found)})",
        "problem" if serious else "advice",
        "high" if top >= 5 or len(found) >= 3 else "medium",
        evidence,
        f"a point >= {SPIKE_RATIO}x the median of the {SPIKE_CONTEXT} points before it and more than "
        f"{SPIKE_NOISE:.0f}x their median step-to-step change (or the curve's noise around its smoothed copy, if "
        f"larger) above it (per-step logs: >= {SPIKE_RATIO_STEP:.0f}x and "
        f"{SPIKE_NOISE_STEP:.0f}x); needs >= {2 * SPIKE_CONTEXT} points, and no more candidates than "
        f"{SPIKE_MAX_SHARE:.0%} of them; a problem when the loss does not recover, or (per epoch) >= 3 spikes or one "
        f">= 5x; high when one is >= 5x or there are >= 3",
        ("loss-spikes", "exploding-gradients", "warmup", "learning-rate"),
        {
            "spikes": [{**ctx.where.data(c, i), "value": _num(v), "before": _num(b)} for i, v, b in found],
            "per_step": ctx.per_step,
        },
        tuple(Event(float(c.x[i]), "spike") for i, _, _ in found),
        ("lower-lr",) if serious else (),
    )


def noisy(ctx: Context) -> Finding | None:
    worst = None
    for c in (ctx.val, ctx.train):
        if c is None or len(c) < NOISE_MIN_POINTS:
            continue
        half = c.y[len(c) // 2 :]
        trend = rolling_median(half, 5)
        jitter = 1.4826 * float(np.median(np.abs(half - trend)))
        level = abs(float(np.median(trend)))
        drop = float(c.y[0]) - float(np.median(trend))
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
        f"In the second half of the run {c.name} jitters by about {fmt(jitter)} around a level of "
        f"{fmt(level)} ({score:.0%} of it, and {jitter / max(drop, 1e-12):.0%} of all it gained before): the "
        f"swings are as large as the progress."
    )
    if which == "validation":
        why = "a small validation set, or weights still moving a lot late in training"
    elif ctx.per_step:
        why = (
            "small batches, batches that are not shuffled (the same hard batches at the same place every "
            "epoch), or a learning rate too high late in training"
        )
    else:
        why = "a learning rate that is too high late in training, or small batches"
    evidence += f" Usual causes: {why}."
    return Finding(
        "noisy",
        f"Noisy, oscillating {which} {ctx.metric}",
        "problem",
        "medium" if score >= 0.3 else "low",
        evidence,
        f"in the second half (>= {NOISE_MIN_POINTS} points in all), the robust spread (1.4826 x MAD) around a "
        f"5-point rolling median is >= {NOISE_MIN_LEVEL:.0%} of the level and >= {NOISE_MIN_DROP:.0%} of the drop "
        f"before it; medium at >= 30% of the level",
        ("training-curves", "data-shuffling", "batch-size", "learning-rate-schedule")
        if which == "training" and ctx.per_step
        else ("learning-rate-schedule", "learning-rate", "batch-size", "training-curves"),
        {"curve": c.name, "jitter": _num(jitter), "level": _num(level), "relative": _num(score)},
    )
