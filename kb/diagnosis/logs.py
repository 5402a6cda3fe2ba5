"""Training logs in, one normalized set of curves out: `read_log(path)` -> `TrainingLog`.

Readers: Keras CSVLogger CSV and History JSON, Lightning CSVLogger metrics.csv, Hugging Face Trainer
trainer_state.json, TensorBoard event files (through the optional `tensorboard` package), and plain CSV/TSV/JSON
lines. Every format becomes a table of rows (one dict per logged row); the same column mapping then picks the
training and validation curves. An empty cell means "not logged in this row" (Lightning pads its rows that way);
a cell reading nan/inf is a logged non-finite value, which is exactly what diagnose looks for.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import KbError, UsageError

MAX_LOG_BYTES = 200 * 1024 * 1024  # a bigger "log" is almost certainly the wrong file
EXPECTED = (
    "expected a CSV/TSV with a header row (Keras CSVLogger, Lightning metrics.csv, your own), JSON "
    "(Keras History, HF trainer_state.json), JSON lines, or a TensorBoard event file"
)
STEP_NAMES = ("step", "global_step", "steps", "iteration", "iter", "it", "batch", "trainer_global_step")
EPOCH_NAMES = ("epoch", "epochs")
VAL_TOKENS = {"val", "valid", "validation", "eval", "evaluation", "test", "dev", "holdout"}
TRAIN_TOKENS = {"train", "training", "tr"}
ACC_TOKENS = {"acc", "accuracy", "top1", "top1acc"}
# Columns that are numbers but never a curve to diagnose (HF's end-of-run summary, throughput, schedules).
NOT_METRICS = re.compile(
    r"(^|_)(lr|learning_rate|grad_norm|runtime|samples_per_second|steps_per_second|"
    r"total_flos|flos|time|timestamp|wall|momentum|weight_decay)($|_)"
)
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


class LogError(KbError):
    """A log file kb cannot read: one line saying what it expected."""

    exit_code = 2


@dataclass(frozen=True)
class Series:
    """One curve: values y at positions x (step or epoch), with the epoch of each point when the log has both."""

    name: str
    x: np.ndarray
    y: np.ndarray
    epoch: np.ndarray | None = None
    higher_is_better: bool = False  # accuracy; diagnose turns it into an error rate (1 - accuracy)

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class TrainingLog:
    path: Path
    format: str  # human label, e.g. "Keras CSVLogger", "TensorBoard events"
    x_name: str  # "epoch", "step" or "row"
    columns: tuple[str, ...]  # every numeric metric column or tag found
    train: Series | None
    val: Series | None
    train_acc: Series | None = None
    val_acc: Series | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------- entry point


def read_log(path: str | Path, train: str | None = None, val: str | None = None) -> TrainingLog:
    """Read any supported training log (a file, or a directory holding one); `train`/`val` name columns."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"no such file or directory: {path}")
    if path.is_dir():
        if any(path.rglob("events.out.tfevents*")):  # every sub-run: Keras writes train/ and validation/
            return _from_series(path, "TensorBoard events", *_read_tensorboard(path), train=train, val=val)
        path = _find_log_in(path)
    if path.name.startswith("events.out.tfevents"):
        return _from_series(path, "TensorBoard events", *_read_tensorboard(path.parent), train=train, val=val)
    try:
        size = path.stat().st_size
        if size > MAX_LOG_BYTES:
            raise LogError(f"{path}: {size / 1e6:.0f} MB is too big for a training log; {EXPECTED}")
        raw = path.read_bytes()
    except OSError as exc:
        raise LogError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not raw.strip():
        raise LogError(f"{path}: empty file; {EXPECTED}")
    if b"\x00" in raw[:4096]:
        raise LogError(f"{path}: binary data, not a training log; {EXPECTED}")
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    fmt, rows = _parse_text(path, text)
    return _from_rows(path, fmt, rows, train=train, val=val)


def _find_log_in(directory: Path) -> Path:
    """A run directory: Lightning's metrics.csv or HF's trainer_state.json (the newest), else its only log file."""
    for name in ("metrics.csv", "trainer_state.json"):
        found = sorted(directory.rglob(name), key=lambda p: p.stat().st_mtime)
        if found:
            return found[-1]
    candidates = [p for ext in ("*.csv", "*.tsv", "*.jsonl", "*.json") for p in directory.glob(ext)]
    if len(candidates) == 1:
        return candidates[0]
    names = ", ".join(sorted(p.name for p in candidates))
    why = f"several candidates: {names}; name one" if candidates else EXPECTED
    raise LogError(f"{directory}: no training log found in this directory ({why})")


# ---------------------------------------------------------------- text formats -> rows


def _parse_text(path: Path, text: str) -> tuple[str, list[dict]]:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            rows = _json_lines(text)
            if rows is not None:
                return "JSON lines", rows
            raise LogError(
                f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}); is the file truncated? {EXPECTED}"
            ) from None
        return _from_json(path, data)
    return _from_delimited(path, text)


def _json_lines(text: str) -> list[dict] | None:
    rows = []
    lines = [line for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if i == len(lines) - 1 and rows:  # a run killed mid-write leaves a half line: keep the rest
                break
            return None
        if not isinstance(row, dict):
            return None
        rows.append(row)
    return rows


def _from_json(path: Path, data) -> tuple[str, list[dict]]:
    if isinstance(data, dict) and isinstance(data.get("log_history"), list):
        # HF Trainer: one entry per logging/eval event; the last one is the run summary (train_runtime, mean loss).
        rows = [dict(e) for e in data["log_history"] if isinstance(e, dict) and "train_runtime" not in e]
        # logging_nan_inf_filter (on by default) logs a nan/inf step as the window's running mean, often 0.0;
        # the gradient norm logged beside it still shows the truth
        for row in rows:
            grad = _number(row.get("grad_norm"))
            if grad is not None and not math.isfinite(grad) and _number(row.get("loss")) is not None:
                row["loss"] = math.nan
        return "Hugging Face trainer_state.json", rows
    if isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):
        # Keras History.history: {"loss": [...], "val_loss": [...]}, one value per epoch, epochs counted from 1.
        length = max(len(v) for v in data.values())
        rows = [{"epoch": i + 1, **{k: v[i] for k, v in data.items() if i < len(v)}} for i in range(length)]
        return "Keras History JSON", rows
    if isinstance(data, dict) and isinstance(data.get("history"), dict):
        return _from_json(path, data["history"])
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return "JSON records", data
    raise LogError(
        f"{path}: JSON, but neither a HF trainer_state.json (log_history), a Keras History dict "
        f'({{"loss": [...]}}) nor a list of records; {EXPECTED}'
    )


def _from_delimited(path: Path, text: str) -> tuple[str, list[dict]]:
    first = text.splitlines()[0]
    delimiter = "\t" if "\t" in first else ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        table = [row for row in reader if row]
    except csv.Error as exc:
        raise LogError(f"{path}: unreadable as CSV ({exc}); {EXPECTED}") from None
    header = [h.strip() for h in table[0]]
    if len(header) < 2 or any(_number(h) is not None for h in header if h):
        raise LogError(f"{path}: no header row with column names (first line: {first[:60]!r}); {EXPECTED}")
    rows = [{h: cell for h, cell in zip(header, row) if h} for row in table[1:]]
    names = {h.lower() for h in header}
    if path.name == "metrics.csv" and {"epoch", "step"} <= names:
        fmt = "Lightning CSVLogger"
    elif header[0].lower() == "epoch" and ("loss" in names or any(n.endswith("loss") for n in names)):
        fmt = "Keras CSVLogger" if delimiter == "," else "TSV"
    else:
        fmt = "TSV" if delimiter == "\t" else "CSV"
    return fmt, rows


def _number(value) -> float | None:
    """A cell as a float (nan/inf kept), or None when empty or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------- rows -> series


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _tokens(name: str) -> list[str]:
    return [t for t in _norm(name).split("_") if t]


def _x_columns(names: list[str]) -> tuple[str | None, str | None]:
    by_norm = {_norm(n): n for n in names}
    step = next((by_norm[n] for n in STEP_NAMES if n in by_norm), None)
    epoch = next((by_norm[n] for n in EPOCH_NAMES if n in by_norm), None)
    return step, epoch


def _from_rows(path: Path, fmt: str, rows: list[dict], train: str | None, val: str | None) -> TrainingLog:
    if not rows:
        raise LogError(f"{path}: a header but no rows of values; nothing to diagnose yet")
    names: list[str] = []
    for row in rows:
        names += [k for k in row if k not in names]
    step_col, epoch_col = _x_columns(names)
    x_col, x_name = (step_col, "step") if step_col else (epoch_col, "epoch") if epoch_col else (None, "row")
    series: dict[str, Series] = {}
    for name in names:
        if name in (step_col, epoch_col):
            continue
        xs, ys, epochs = [], [], []
        for i, row in enumerate(rows):
            y = _number(row.get(name))
            x = _number(row.get(x_col)) if x_col else float(i + 1)
            if y is None or x is None or not math.isfinite(x):
                continue
            xs.append(x)
            ys.append(y)
            epochs.append(_number(row.get(epoch_col)) if epoch_col and x_col != epoch_col else None)
        if ys:
            epoch = (
                np.array([math.nan if e is None else e for e in epochs]) if epoch_col and x_col != epoch_col else None
            )
            series[name] = Series(name, np.array(xs, float), np.array(ys, float), epoch)
    return _from_series(path, fmt, x_name, series, train=train, val=val)


def _role(name: str) -> tuple[str | None, str | None]:
    """(kind, role) of a column: kind 'loss' or 'acc' (None: not a curve), role 'train' or 'val'."""
    norm = _norm(name)
    tokens = set(_tokens(name))
    if NOT_METRICS.search(norm):
        return None, None
    kind = "loss" if any("loss" in t for t in tokens) else "acc" if tokens & ACC_TOKENS else None
    if kind is None:
        return None, None
    role = "val" if tokens & VAL_TOKENS else "train"
    return kind, role


def _pick(candidates: list[str], preference: tuple[str, ...], series: dict[str, Series]) -> str | None:
    """The preferred name first (`loss` before `train_loss_epoch`), then the curve with the most points."""
    rank: dict[str, int] = {}
    for i, name in enumerate(preference):
        rank.setdefault(_norm(name), i)
    return min(candidates, key=lambda n: (rank.get(_norm(n), len(preference)), -len(series[n]), n), default=None)


def _resolve(column: str, series: dict[str, Series], option: str, path: Path) -> str:
    if column in series:
        return column
    folded = {n.lower(): n for n in series}
    if column.lower() in folded:
        return folded[column.lower()]
    raise UsageError(
        f"{option} {column}: no such numeric column in {path.name} (columns: {', '.join(series) or 'none'})"
    )


def _from_series(
    path: Path, fmt: str, x_name: str, series: dict[str, Series], train: str | None, val: str | None
) -> TrainingLog:
    if not series:
        raise LogError(f"{path}: no numeric columns; {EXPECTED}")
    roles = {name: _role(name) for name in series}
    loss = {r: [n for n, kr in roles.items() if kr == ("loss", r)] for r in ("train", "val")}
    acc = {r: [n for n, kr in roles.items() if kr == ("acc", r)] for r in ("train", "val")}
    train_name = _resolve(train, series, "--train", path) if train else _pick(loss["train"], TRAIN_PREFERENCE, series)
    val_name = _resolve(val, series, "--val", path) if val else _pick(loss["val"], VAL_PREFERENCE, series)
    train_acc = _pick(acc["train"], ("accuracy", "acc", "train_acc", "train_accuracy"), series)
    val_acc = _pick(acc["val"], ("val_accuracy", "val_acc", "eval_accuracy"), series)
    notes: list[str] = []
    if train_name is None and val_name is None:
        if train_acc or val_acc:  # accuracy only: diagnose the error rate instead
            train_name, val_name = train_acc, val_acc
            notes.append("no loss column: diagnosing the error rate (1 - accuracy) instead")
        else:
            raise LogError(
                f"{path}: no loss or accuracy column found (columns: {', '.join(series)}); "
                f"name the curves with --train COL and --val COL"
            )
    chosen = {}
    for role, name in (("train", train_name), ("val", val_name)):
        if name is None:
            continue
        s = series[name]
        if _role(name)[0] == "acc":
            s = Series(s.name, s.x, s.y, s.epoch, higher_is_better=True)
        chosen[role] = s
    return TrainingLog(
        path=path,
        format=fmt,
        x_name=x_name,
        columns=tuple(series),
        train=chosen.get("train"),
        val=chosen.get("val"),
        train_acc=series.get(train_acc) if train_acc else None,
        val_acc=series.get(val_acc) if val_acc else None,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------- TensorBoard


def _read_tensorboard(directory: Path) -> tuple[str, dict[str, Series]]:
    """Every scalar under a run directory; tags of sub-runs (Keras writes train/ and validation/) get a prefix."""
    try:
        from tensorboard.backend.event_processing import event_accumulator
        from tensorboard.util import tensor_util
    except ImportError:
        raise KbError(
            "reading TensorBoard event files needs the tensorboard package: pip install 'kb-ml[tensorboard]'"
        ) from None
    series: dict[str, Series] = {}
    run_dirs = sorted({p.parent for p in directory.rglob("events.out.tfevents*")}) or [directory]
    for run_dir in run_dirs:
        prefix = "" if run_dir == directory else f"{run_dir.relative_to(directory).as_posix()}/"
        acc = event_accumulator.EventAccumulator(
            str(run_dir), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0}
        )
        try:
            acc.Reload()
        except Exception as exc:  # noqa: BLE001  (a corrupt file: the reader's own error, in one line)
            raise LogError(f"{run_dir}: unreadable TensorBoard event file ({type(exc).__name__}: {exc})") from None
        tags = acc.Tags()
        for tag in tags.get("scalars", []):
            events = acc.Scalars(tag)
            series[prefix + tag] = Series(
                prefix + tag, np.array([e.step for e in events], float), np.array([e.value for e in events], float)
            )
        for tag in tags.get("tensors", []):  # TF2 summaries store scalars as 0-d tensors
            values = [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]
            values = [(s, float(v)) for s, v in values if getattr(v, "size", 0) == 1 and v.dtype.kind in "fiu"]
            if values:
                series[prefix + tag] = Series(
                    prefix + tag, np.array([s for s, _ in values], float), np.array([v for _, v in values], float)
                )
    if not series:
        raise LogError(
            f"{directory}: TensorBoard event files without scalar summaries (log them with "
            f"SummaryWriter.add_scalar or tf.summary.scalar)"
        )
    return "step", series
