"""Which column is which: a name's kind (loss, accuracy, another metric, learning rate, step or epoch counter) and
role (training or validation), the ultralytics loss sums, and the choice of the curves diagnose reads.

Names are split into words (`val/loss`, `train_loss_epoch`, `metrics/mAP50-95(B)`, `Loss/train` all work).
"""

from __future__ import annotations

import re

STEP_NAMES = ("step", "global_step", "steps", "iteration", "iter", "it", "batch", "trainer_global_step")
EPOCH_NAMES = ("epoch", "epochs", "episode")
VAL_TOKENS = {"val", "valid", "validation", "eval", "evaluation", "test", "dev", "holdout", "metrics"}
ACC_TOKENS = {"acc", "accuracy", "top1", "top1acc"}
# Higher is better; "balanced" ones weigh every class equally, so accuracy far above them means imbalance.
BALANCED_TOKENS = {"f1", "macro", "dice", "iou", "miou", "meaniu", "iu", "jaccard", "mcc", "kappa", "balanced"}
HIGHER_TOKENS = BALANCED_TOKENS | {
    "f1score",
    "fscore",
    "auc",
    "auroc",
    "roc",
    "map",
    "ap",
    "precision",
    "recall",
    "bleu",
    "rouge",
    "rougel",
    "r2",
    "score",
    "reward",
    "return",
}
LOWER_TOKENS = {"wer", "cer", "mse", "mae", "rmse", "perplexity", "ppl", "error", "err"}
UNBOUNDED_TOKENS = {"score", "reward", "return"}  # RL returns: no 0..1 scale
LR_NAMES = re.compile(r"(^|_)(lr|learning_rate)($|_)")
# Numbers that are never a curve to diagnose (HF's end-of-run summary, throughput, timing, schedules, and a best
# value so far, "Best_mIoU", which only ever improves).
NOT_METRICS = re.compile(
    r"(^|_)(grad_norm|runtime|samples_per_second|steps_per_second|total_flos|flos|time|timestamp|wall|momentum|"
    r"weight_decay|frame|frames|data|eta|gpu_mem|memory|instances|size|fold|best)($|_)"
)
# Among several candidates the usual names win, then the curve with the most points.
TRAIN_PREFERENCE = (
    "loss",
    "train_loss",
    "training_loss",
    "train/loss",
    "loss/train",
    "train_loss_step",
    "train_loss_epoch",
    "epoch_loss",
)
VAL_PREFERENCE = (
    "val_loss",
    "eval_loss",
    "validation_loss",
    "valid_loss",
    "val/loss",
    "eval/loss",
    "loss/val",
    "loss/validation",
    "validation/epoch_loss",
    "val_loss_epoch",
    "test_loss",
)
# The validation metric an expert reads first, by the words of its name.
METRIC_PREFERENCE = (
    {"map50", "95"},
    {"map50"},
    {"map"},
    {"f1", "macro"},
    {"macro", "f1"},
    {"f1"},
    {"dice"},
    {"iou"},
    {"miou"},
    {"meaniu"},
    {"mean", "iu"},
    {"auc"},
    {"accuracy"},
    {"acc"},
    {"wer"},
    {"score"},
    {"reward"},
)


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def tokens(name: str) -> list[str]:
    return [t for t in norm(name).split("_") if t]


def kind(name: str) -> str | None:
    """'loss', 'acc', 'higher' (another metric, higher is better), 'lower', 'lr', or None (not a curve)."""
    n, words = norm(name), set(tokens(name))
    if LR_NAMES.search(n):
        return "lr"
    if any("loss" in w for w in words):
        return "loss"
    if NOT_METRICS.search(n):
        return None
    if words & {"balanced", "macro"} or words & ACC_TOKENS and words & {"f1"}:
        return "higher"
    if words & ACC_TOKENS or any(w.startswith("top") and w.endswith("acc") for w in words):
        return "acc"
    if words & HIGHER_TOKENS or any(re.fullmatch(r"map\d*", w) for w in words):
        return "higher"
    if words & LOWER_TOKENS:
        return "lower"
    return None


def role(name: str) -> str:
    return "val" if set(tokens(name)) & VAL_TOKENS else "train"


def balanced(name: str) -> bool:
    """A metric that weighs every class equally (macro F1, dice, IoU, balanced accuracy, MCC)."""
    return bool(set(tokens(name)) & BALANCED_TOKENS) and "micro" not in tokens(name)


def unbounded(name: str) -> bool:
    """A return or score with no fixed scale (RL), unlike an F1 score or an accuracy."""
    words = set(tokens(name))
    if words & {"reward", "return"}:
        return True
    return "score" in words and not (words - {"score"}) & (HIGHER_TOKENS | ACC_TOKENS | LOWER_TOKENS)


def counters(names: list[str]) -> tuple[str | None, str | None]:
    """(step column, epoch column) among the names."""
    by_norm = {norm(n): n for n in names}
    step = next((by_norm[n] for n in STEP_NAMES if n in by_norm), None)
    epoch = next((by_norm[n] for n in EPOCH_NAMES if n in by_norm), None)
    return step, epoch


def pick(candidates: list[str], preference: tuple[str, ...], sizes: dict[str, int]) -> str | None:
    """The preferred name first (`loss` before `train_loss_epoch`), then the curve with the most points."""
    rank: dict[str, int] = {}
    for i, name in enumerate(preference):
        rank.setdefault(norm(name), i)
    return min(candidates, key=lambda n: (rank.get(norm(n), len(preference)), -sizes[n], n), default=None)


def pick_metric(candidates: list[str], sizes: dict[str, int]) -> str | None:
    """The metric an expert reads first (mAP50-95, then macro F1, dice, IoU, AUC, accuracy...)."""

    def rank(name: str) -> int:
        words = set(tokens(name))
        return next((i for i, want in enumerate(METRIC_PREFERENCE) if want <= words), len(METRIC_PREFERENCE))

    usable = [n for n in candidates if "precision" not in tokens(n) and "recall" not in tokens(n)]
    return min(usable, key=lambda n: (rank(n), -sizes[n], n), default=None)


def is_ultralytics(names: list[str]) -> bool:
    """An ultralytics results.csv: epoch, train/* and val/* losses, metrics/mAP50(B)..."""
    lowered = [n.lower() for n in names]
    return any(n.startswith("metrics/map") for n in lowered) and any(n.startswith("train/") for n in lowered)


def ultralytics_parts(names: list[str]) -> dict[str, list[str]]:
    """The loss parts YOLO sums into the loss it minimizes: train/box_loss + train/cls_loss + train/dfl_loss (and
    the one-to-many/one-to-one heads of YOLOv10), per role."""
    return {
        "train": [n for n in names if n.lower().startswith("train/")],
        "val": [n for n in names if n.lower().startswith("val/")],
    }


def summed_name(role_name: str, parts: list[str]) -> str:
    short = "+".join(p.split("/", 1)[-1].removesuffix("_loss") for p in parts)
    return f"{role_name}/loss ({short})"


DETECTION_METRIC = re.compile(r"(?<![a-z])map(?![a-z])|mean_?average_?precision", re.IGNORECASE)


def is_detection_metric(name: str) -> bool:
    """mAP in any of its spellings (metrics/mAP50-95(B), map_50, val/mAP): the number a detector is judged by."""
    return bool(DETECTION_METRIC.search(name))
