"""One verdict for a log: run every rule (kb.diagnosis.rules, endstate, noise, readings) in the order an expert
reads a run, and put the main finding first: several runs in one log, else the most serious problem, else where
the run stands (plateau, still improving), else healthy."""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager

import numpy as np

from . import endstate, noise, readings, rules
from .curves import MIN_POINTS, Context, fmt, scale_top
from .findings import Finding
from .logs import TrainingLog

PROBLEM_ORDER = (
    "non-finite",
    "divergence",
    "not-learning",
    "not-decreasing",
    "metric-gap",
    "overfitting",
    "val-below-train",
    "underfitting",
    "plateau",
    "noisy",
    "spikes",
    "not-enough-data",
)
# Fewer points than this per curve and the main reading is "not enough data": three to five epochs cannot tell a
# trend from noise (a 3-epoch YOLO warm-up and a 5-point LoRA run were called still improving and underfitting; the
# blind labellers read both as too little to judge). What a short log can still show is said: non-finite values,
# a divergence, a last evaluation at chance level.
JUDGE_MIN_POINTS = 6
ADVICE_ORDER = (
    "restarted-runs",
    "plateau",
    "still-improving",
    "overfitting",
    "val-below-train",
    "spikes",
    "noisy",
    "underfitting",
)


@contextmanager
def quiet_numpy():
    """numpy's warnings (an all-nan slice, a division by zero) never reach stderr: the rules check what they use."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def diagnose_log(log: TrainingLog, classes: int | None = None) -> tuple[list[Finding], str]:
    """Run every rule on a log that is already read; findings come main first, then problems, then advice."""
    with quiet_numpy():
        ctx = Context(log, classes)
        return _order(_findings(ctx)), _summary(ctx)


def _findings(ctx: Context) -> list[Finding | None]:
    found = [readings.restarted_runs(ctx), rules.non_finite(ctx)]
    points = max(len(ctx.train) if ctx.train is not None else 0, len(ctx.val) if ctx.val is not None else 0)
    divergence = rules.divergence(ctx) if points >= MIN_POINTS else None
    if points < JUDGE_MIN_POINTS:
        chance = readings.chance_at_last_eval(ctx)
        if chance is None and not found[1] and not divergence:
            found.append(_not_enough_data(ctx, points))
        return found + [divergence, chance]
    nothing = None if divergence else readings.not_learning(ctx)
    stuck = None if divergence or nothing else rules.not_decreasing(ctx)
    overfit = None if divergence or stuck or nothing else rules.overfitting(ctx)
    overfit = readings.loss_rises_while_map_holds(ctx, overfit) or overfit
    blocked = (
        divergence or stuck or (overfit if overfit is not None and overfit.severity == "problem" else None) or nothing
    )
    under = None if blocked else endstate.underfitting(ctx)
    state = None if blocked else endstate.end_state(ctx)
    if state is not None and state.id == "still-improving" and under is not None:
        if under.severity == "problem":
            state = None  # "falls far too slowly" already says it, with the cause
        else:
            under = None  # a guess at the cause (no validation to compare with): "still falling" is what shows
    stop_x = rules.diverged_from(ctx) if divergence and ctx.train is not None else math.inf
    return found + [
        divergence,
        nothing,
        stuck,
        readings.metric_gap(ctx),
        overfit,
        under,
        state,
        noise.spikes(ctx, stop_x),
        None if divergence or stuck else noise.noisy(ctx),
        None if divergence else readings.val_below_train(ctx),
    ]


def _order(found: list[Finding | None]) -> list[Finding]:
    findings = [f for f in found if f is not None]
    problems = sorted((f for f in findings if f.severity == "problem"), key=lambda f: PROBLEM_ORDER.index(f.id))
    # a low-confidence reading of where the run stands does not lead a surer one (a "plateau" the rule itself
    # doubts behind validation sitting below training at every evaluation)
    advice = sorted(
        (f for f in findings if f.severity != "problem"),
        key=lambda f: (f.confidence == "low", ADVICE_ORDER.index(f.id)),
    )
    runs = [f for f in advice if f.id == "restarted-runs"]
    return runs + problems + [f for f in advice if f.id != "restarted-runs"]


def _not_enough_data(ctx: Context, points: int) -> Finding:
    log = ctx.log
    shown = ", ".join(list(log.series)[:6]) if log.train is None and log.val is None else ""
    evidence = (
        f"the log has {points} finite point(s) per curve"
        + (f" ({shown})" if shown else "")
        + f"; so few points cannot tell a trend from noise: no plateau, overfitting or 'train longer' can be read "
        f"from them. The rules need at least {JUDGE_MIN_POINTS} (log more often: every epoch, or every few hundred "
        f"steps)."
    )
    return Finding(
        "not-enough-data",
        "Not enough data to diagnose",
        "problem",
        "high",
        evidence,
        f"fewer than {JUDGE_MIN_POINTS} finite points per curve",
        ("training-curves",),
        {"points": points},
    )


def _summary(ctx: Context) -> str:
    """The curves in one line, in their own units: 'training loss (loss) 2.30 -> 0.41, best 0.40 at epoch 18'."""
    parts = []
    for role, c, series in (("training", ctx.train, ctx.log.train), ("validation", ctx.val, ctx.log.val)):
        if c is None or not len(c):
            continue
        if series.unbounded:
            raw, word = -c.y, "return"
        elif series.higher_is_better:
            raw, word = scale_top(series.y) - c.y, "metric"
        else:
            raw, word = c.y, "loss"
        best = int(np.argmin(c.y))
        parts.append(
            f"{role} {word} ({c.name}) {fmt(float(raw[0]))} -> {fmt(float(raw[-1]))}, best {fmt(float(raw[best]))} "
            f"at {ctx.where(c, best)}"
        )
    return "; ".join(parts) or "no finite values"
