"""Curves as the rules read them: finite, sorted, smoothed (rolling median), with the helpers every rule shares
(where a point is, its training loss at validation points, slopes and their t statistic, chance level)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..shapes import number as _num
from .logs import Series, TrainingLog

CHANCE_GUESS = 0.02  # chance level ln(C) is assumed when the first logged loss is within 2% of ln(C), C = 2..10

CHANCE_BAND = 0.05  # "at chance": the best smoothed loss never gets more than 5% below ln(C)

MIN_POINTS = 3


@dataclass(frozen=True)
class Curve:
    """A finite, x-sorted curve ready for the rules; `smooth` is its rolling median."""

    name: str
    x: np.ndarray
    y: np.ndarray
    epoch: np.ndarray | None
    smooth: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


def window(n: int) -> int:
    """Rolling-median width: about n/15 points, odd, at most 51 (epoch logs of <30 points stay unsmoothed)."""
    w = max(1, n // 15)
    return min(w if w % 2 else w + 1, 51)


def rolling_median(y: np.ndarray, w: int) -> np.ndarray:
    if w <= 1 or len(y) < 3:
        return y.copy()
    half = w // 2
    padded = np.concatenate([np.full(half, np.nan), y, np.full(half, np.nan)])
    return np.nanmedian(np.lib.stride_tricks.sliding_window_view(padded, w), axis=1)


def as_loss(series: Series) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    order = np.argsort(series.x, kind="stable")
    x, y = series.x[order], series.y[order]
    epoch = series.epoch[order] if series.epoch is not None else None
    if series.higher_is_better:  # accuracy -> error rate, so every rule reads "lower is better"
        top = 100.0 if np.nanmax(np.where(np.isfinite(y), y, np.nan), initial=0) > 1.0 + 1e-9 else 1.0
        y = top - y
    return x, y, epoch


def make_curve(name: str, x: np.ndarray, y: np.ndarray, epoch) -> Curve | None:
    if len(y) == 0:
        return None
    return Curve(name, x, y, epoch, rolling_median(y, window(len(y))))


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
    """Training loss at each validation point: the mean of the training points since the previous one."""
    out = np.full(len(val), np.nan)
    previous = -np.inf
    for j, vx in enumerate(val.x):
        mask = (train.x > previous) & (train.x <= vx)
        if mask.any():
            out[j] = train.y[mask].mean()
        else:
            before = np.nonzero(train.x <= vx)[0]
            if len(before):
                out[j] = train.y[before[-1]]
        previous = vx
    return out


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


def guess_classes(curves, classes: int | None) -> int | None:
    """C when a curve starts, or ends flat, at ln(C): a classifier predicting about uniform probabilities."""
    if classes:
        return classes
    levels = [float(c.y[0]) for c in curves if c is not None and len(c)]
    levels += [float(np.median(c.y[-max(3, len(c) // 4) :])) for c in curves if c is not None and len(c) >= 8]
    for level in levels:
        for k in range(2, 11):
            if abs(level - math.log(k)) <= CHANCE_GUESS * math.log(k):
                return k
    return None


class Context:
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
        self.higher_is_better = bool((log.train or log.val) and (log.train or log.val).higher_is_better)
        self.metric = "error rate" if self.higher_is_better else "loss"
        self.chance = None if self.higher_is_better else guess_classes((self.train, self.val), classes)

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
