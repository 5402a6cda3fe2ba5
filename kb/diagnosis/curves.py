"""Curves as the rules read them: finite, sorted, "lower is better", smoothed (rolling median) with their noise
level, and the helpers every rule shares (where a point is, the training loss at validation points, slopes and
their t statistic, chance level, how often the log was written, what the learning rate did)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..shapes import number as _num
from .logs import MIN_POINTS, Series, TrainingLog

CHANCE_GUESS = 0.02  # chance level ln(C) is assumed when the first logged loss is within 2% of ln(C), C = 2..10
CHANCE_SAT = 2 / 3  # ... and a flat end there counts fully when the curve sat within that 2% for 2/3 of its points

CHANCE_BAND = 0.05  # "at chance": the best smoothed loss never gets more than 5% below ln(C)

PER_STEP = 1.5  # more than 1.5 training points per epoch: single-batch values, noisy by nature

LR_DECAYED = 0.10  # the learning rate ended below 10% of its peak: the schedule has run its course

MEDIAN_SE = math.sqrt(math.pi / 2)  # the standard error of a median of n points is ~1.25 sigma / sqrt(n)


@dataclass(frozen=True)
class Curve:
    """A finite, x-sorted curve ready for the rules (lower is better); `smooth` is its rolling median and `noise`
    the robust spread of the points around it (1.4826 x the median absolute deviation)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    epoch: np.ndarray | None
    smooth: np.ndarray
    noise: float

    def __len__(self) -> int:
        return len(self.y)


def window(n: int) -> int:
    """Rolling-median width: 3 from 5 points (one stray point never makes a minimum), about n/15 for long curves,
    odd, at most 51."""
    if n < 5:
        return 1
    w = max(3, n // 15)
    return min(w if w % 2 else w + 1, 51)


def rolling_median(y: np.ndarray, w: int) -> np.ndarray:
    """Centred rolling median; near the ends, the median of the w points nearest the end (a shorter window
    there would let the last point, often a partial batch, pull the smoothed end with it)."""
    if w <= 1 or len(y) < 3:
        return y.copy()
    w = min(w, len(y) if len(y) % 2 else len(y) - 1)
    medians = np.median(np.lib.stride_tricks.sliding_window_view(y, w), axis=1)
    centre = np.clip(np.arange(len(y)) - w // 2, 0, len(medians) - 1)
    return medians[centre]


def noise_level(y: np.ndarray) -> float:
    """How much single points scatter around the local level: the robust spread of the residuals from a 5-point
    (or wider) rolling median; from successive differences for curves under 9 points."""
    if len(y) < 3:
        return 0.0
    if len(y) < 9:
        return float(1.4826 * np.median(np.abs(np.diff(y))) / math.sqrt(2))
    w = max(5, window(len(y)))
    return float(1.4826 * np.median(np.abs(y - rolling_median(y, w))))


def as_loss(series: Series) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    order = np.argsort(series.x, kind="stable")
    x, y = series.x[order], series.y[order]
    epoch = series.epoch[order] if series.epoch is not None else None
    if series.unbounded:  # a return: more is better, no top; its negative is read like a loss
        y = -y
    elif series.higher_is_better:  # accuracy -> error rate, so every rule reads "lower is better"
        y = scale_top(y) - y
    return x, y, epoch


def scale_top(y: np.ndarray) -> float:
    """1 for fractions, 100 for percentages."""
    return 100.0 if np.nanmax(np.where(np.isfinite(y), y, np.nan), initial=0) > 1.0 + 1e-9 else 1.0


def make_curve(name: str, x: np.ndarray, y: np.ndarray, epoch) -> Curve | None:
    if len(y) == 0:
        return None
    return Curve(name, x, y, epoch, rolling_median(y, window(len(y))), noise_level(y))


class Where:
    """'epoch 12' or 'step 480 (epoch 3)': where a point is, in the log's own terms."""

    def __init__(self, x_name: str):
        self.x_name = x_name

    def __call__(self, curve: Curve, i: int) -> str:
        x = fmt_x(curve.x[i])
        if curve.epoch is not None and not math.isnan(curve.epoch[i]):
            return f"{self.x_name} {x} (epoch {fmt_x(curve.epoch[i])})"
        return f"{self.x_name} {x}"

    def data(self, curve: Curve, i: int) -> dict:
        out = {self.x_name: _num(curve.x[i])}
        if curve.epoch is not None and not math.isnan(curve.epoch[i]):
            out["epoch"] = _num(curve.epoch[i])
        return out


ROLE_NAMES = {"train": "Training", "val": "Validation"}


def pct(share: float) -> str:
    """12%, or 0.4% when a whole percent would read as nothing."""
    return f"{share:.0%}" if abs(share) >= 0.095 or share == 0 else f"{share:.1%}"


def fmt_x(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def fmt(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    a = abs(v)
    return f"{v:.3g}" if a >= 1000 or a < 0.01 else f"{v:.3f}" if a < 10 else f"{v:.1f}"


def aligned_train(train: Curve, val: Curve) -> np.ndarray:
    """Training loss at each validation point: the mean of the training points since the previous one (the last
    training point before it when there is none in between). Linear: one searchsorted and a cumulative sum."""
    ends = np.searchsorted(train.x, val.x, side="right")
    starts = np.concatenate([[0], ends[:-1]])
    sums = np.concatenate([[0.0], np.cumsum(train.y)])
    counts = ends - starts
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (sums[ends] - sums[starts]) / counts
    last_before = np.where(ends > 0, train.y[np.maximum(ends - 1, 0)], np.nan)
    return np.where(counts > 0, means, last_before)


def slope_t(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of y on x and its t statistic (negative t: significantly falling)."""
    if len(x) < 3 or np.ptp(x) == 0:
        return 0.0, 0.0
    xc = x - x.mean()
    slope = float((xc * (y - y.mean())).sum() / (xc**2).sum())
    resid = y - y.mean() - slope * xc
    dof = len(x) - 2
    se = math.sqrt(max(float((resid**2).sum()) / dof, 0.0) / float((xc**2).sum())) if dof > 0 else 0.0
    if se == 0:
        return slope, -math.inf if slope < 0 else math.inf if slope > 0 else 0.0
    return slope, slope / se


def guess_classes(curves, classes: int | None, first_is_init: bool = True) -> int | None:
    """C when the signs say a classifier predicts about uniform probabilities, a cross-entropy of ln(C): a value within
    2% of ln(C) votes for C, and two votes decide. A per-step log's first value (the loss at initialization) counts
    two; an epoch-averaged first value counts one, since an epoch of learning can leave it near some ln(C) by
    chance. A curve that ends flat there (its last quarter moving less than 5%) counts two when it sat there for
    most of the run (two thirds of its points within the 2%), else one: a classifier at chance sits at ln(C), while
    a loss that fell slowly and flattened passes near some ln(C) by coincidence (the 2% bands around ln 5 .. ln 10
    cover about 60% of the losses between them; a language model's loss flattening at 1.97 is not 7 classes). A
    falling curve's end passing ln(C) counts nothing. Between two C with the same weight, the one more signs agree
    on wins."""
    if classes:
        return classes
    votes: dict[int, tuple[int, int]] = {}  # C -> (weight, number of signs)

    def vote(level: float, weight, c: Curve) -> None:
        for k in range(2, 11):
            band = CHANCE_GUESS * math.log(k)
            if abs(level - math.log(k)) <= band:
                w, n = votes.get(k, (0, 0))
                votes[k] = (w + (weight(k, band, c) if callable(weight) else weight), n + 1)

    def sat_there(k: int, band: float, c: Curve) -> int:
        return 2 if float(np.mean(np.abs(c.y - math.log(k)) <= band)) >= CHANCE_SAT else 1

    for c in curves:
        if c is None or not len(c):
            continue
        vote(float(c.y[0]), 2 if first_is_init else 1, c)
        if len(c) >= 8:
            k = max(3, len(c) // 4)
            level = float(np.median(c.y[-k:]))
            if abs(slope_t(c.x[-k:], c.y[-k:])[0]) * float(np.ptp(c.x[-k:])) <= CHANCE_BAND * abs(level):
                vote(level, sat_there, c)
    agreed = [k for k, (weight, _) in votes.items() if weight >= 2]
    return max(agreed, key=lambda k: (*votes[k], -k)) if agreed else None  # ties: the C more signs agree on


def accuracy_chance(metric: Series | None, val: Curve | None) -> int | None:
    """C when a validation accuracy sits at 1/C at every evaluation (>= 5; never more than 0.05 above it) and
    the validation loss agrees (its median within 10% of ln C): a classifier guessing. Two signs of different
    kinds, like guess_classes' two votes; used when the losses alone decide nothing (a run too short for a flat
    end, a first value logged after an epoch of learning)."""
    if metric is None or val is None or len(metric) < 5 or "acc" not in metric.name.lower():
        return None
    acc = metric.y[np.isfinite(metric.y)] / scale_top(metric.y)
    if len(acc) < 5 or float(np.median(acc)) <= 0:
        return None
    classes = round(1 / float(np.median(acc)))
    if not 2 <= classes <= 10 or float(acc.max()) > 1 / classes + 0.05 + 1e-6:  # float32 logs: 0.55000001
        return None
    if abs(float(np.median(val.y)) - math.log(classes)) > 0.10 * math.log(classes):
        return None
    return classes


def points_per_epoch(series: Series | None, x_name: str) -> float | None:
    """Training points logged per epoch, when the log says which epoch each point is in."""
    if series is None or len(series) < 2:
        return None
    if x_name == "epoch":
        return len(series) / max(1.0, float(np.ptp(series.x)) + 1)
    if series.epoch is None or not np.isfinite(series.epoch).any():
        return None
    epochs = series.epoch[np.isfinite(series.epoch)]
    span = float(np.ptp(epochs))
    whole = float(np.floor(epochs.max()) - np.floor(epochs.min()) + 1)
    return len(series) / max(span if span > 0 and not float(epochs.max()).is_integer() else whole, 1e-9)


@dataclass(frozen=True)
class LearningRate:
    """What the logged learning rate did: its peak, its last value and whether it was still warming up."""

    peak: float
    last: float
    rising: bool

    @property
    def decayed(self) -> bool:
        return self.peak > 0 and self.last <= LR_DECAYED * self.peak

    def text(self) -> str:
        return f"the learning rate is at {fmt(self.last)}, {pct(self.last / self.peak)} of its peak {fmt(self.peak)}"


def learning_rate(series: Series | None) -> LearningRate | None:
    if series is None or len(series) < 2:
        return None
    y = series.y[np.isfinite(series.y)]
    if len(y) < 2 or y.max() <= 0:
        return None
    return LearningRate(float(y.max()), float(y[-1]), bool(y[-1] >= y.max() and y[-1] > y[0]))


class Context:
    """A log as the rules see it: its training and validation curves (lower is better, cut at the first nan/inf),
    the validation metric, the learning rate, the logging frequency and the chance level."""

    def __init__(self, log: TrainingLog, classes: int | None):
        self.log = log
        self.classes = classes
        self.where = Where(log.x_name)
        self.nonfinite: list[tuple[str, Series, int, np.ndarray, np.ndarray, np.ndarray | None]] = []
        cut = math.inf
        raw = {}
        for role, series in (("train", log.train), ("val", log.val)):
            if series is None:
                continue
            x, y, epoch = as_loss(series)
            raw[role] = (series.name, x, y, epoch)
            bad = np.nonzero(~np.isfinite(y))[0]
            if len(bad):
                self.nonfinite.append((role, series, int(bad[0]), x, y, epoch))
                cut = min(cut, x[bad[0]])
        self.cut = cut  # the first x with a non-finite value: later points are not judged
        self.train = self.val = None
        for role, (name, x, y, epoch) in raw.items():
            keep = (x < cut) & np.isfinite(y)
            curve = make_curve(name, x[keep], y[keep], epoch[keep] if epoch is not None else None)
            setattr(self, role, curve)
        self.main = self.train if self.train is not None and len(self.train) >= MIN_POINTS else self.val
        first = log.train or log.val
        self.higher_is_better = bool(first and first.higher_is_better)
        self.unbounded = bool(first and first.unbounded)
        self.metric = "return" if self.unbounded else "error rate" if self.higher_is_better else "loss"
        ppe = points_per_epoch(log.train, log.x_name)
        self.per_step = bool(ppe and ppe > PER_STEP) or (ppe is None and log.x_name == "step")
        self.chance = None if self.higher_is_better else guess_classes((self.train, self.val), classes, self.per_step)
        if self.chance is None and not self.higher_is_better:
            self.chance = accuracy_chance(log.val_metric, self.val)
        self.lr = learning_rate(log.lr)
        self.val_metric = self._metric_curve(log.val_metric)

    def _metric_curve(self, series: Series | None) -> Curve | None:
        """The validation metric as a lower-is-better curve (1 - mAP, 1 - accuracy, WER), finite points only."""
        if series is None or series is self.log.val:
            return None
        x, y, epoch = as_loss(series)
        keep = np.isfinite(y) & (x < self.cut)
        return make_curve(series.name, x[keep], y[keep], epoch[keep] if epoch is not None else None)

    def at_chance(self, c: Curve | None) -> bool:
        """The curve never gets meaningfully below ln(C): the model predicts no better than chance."""
        return bool(
            self.chance
            and c is not None
            and len(c)
            and float(c.smooth.min()) >= (1 - CHANCE_BAND) * math.log(self.chance)
        )

    def chance_text(self) -> str:
        how = "--classes" if self.classes else "guessed from the loss level; pass --classes if wrong"
        return f"ln({self.chance}) = {math.log(self.chance):.3f}, chance level for {self.chance} classes ({how})"
