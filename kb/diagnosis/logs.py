"""Training logs in, one normalized set of curves out: `read_log(path)` (or `read_text(text)`) -> `TrainingLog`.

Formats: Keras CSVLogger CSV and History JSON, Lightning CSVLogger metrics.csv, Hugging Face trainer_state.json,
ultralytics results.csv, TensorBoard event files (through the optional `tensorboard` package), plain CSV/TSV/JSON
lines, and hand-written text logs (kb.diagnosis.textlogs). Each becomes a Table of columns (kb.diagnosis.tables);
a counter that starts again splits it into runs and the last run is kept; the column mapping
(kb.diagnosis.columns) then picks the training and validation curves, the metrics and the learning rate. A curve
of more than MAX_POINTS points is binned into means, so every rule after this works on bounded arrays.
"""

from __future__ import annotations

import math
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import KbError, UsageError
from . import columns as cols
from .tables import Table, TableError, number, read_delimited, read_json, read_tensorboard, sniff_header
from .textlogs import LOOKED_FOR, UTF16_BOMS, decoded, old_mac_lines
from .textlogs import read_text as read_text_table

MAX_TABLE_BYTES = 300 * 1024 * 1024  # a CSV is streamed into arrays (~2-3x its size in memory at most)
MAX_TEXT_BYTES = 64 * 1024 * 1024  # JSON and text are read whole: a bigger one is almost surely the wrong file
MAX_POINTS = 20_000  # longer curves are binned into this many means before the rules run
EXPECTED = (
    "expected a CSV/TSV with a header row (Keras CSVLogger, Lightning metrics.csv, ultralytics results.csv), JSON "
    "(Keras History, HF trainer_state.json), JSON lines, a TensorBoard event file, or a text log"
)
MIN_POINTS = 3

LogError = TableError  # one class for "kb cannot read this log" (exit code 2), wherever it is raised


@dataclass(frozen=True)
class Series:
    """One curve: values y at positions x (step or epoch), with the epoch of each point when the log has both."""

    name: str
    x: np.ndarray
    y: np.ndarray
    epoch: np.ndarray | None = None
    higher_is_better: bool = False  # accuracy, F1, mAP: diagnose reads the error (1 - value) as the loss
    unbounded: bool = False  # an RL return or score: higher is better, with no fixed top

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class TrainingLog:
    path: Path
    format: str  # human label, e.g. "Keras CSVLogger", "TensorBoard events"
    x_name: str  # "epoch", "step" or "row"
    columns: tuple[str, ...]  # every numeric column or tag found
    train: Series | None
    val: Series | None
    train_acc: Series | None = None
    val_acc: Series | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    series: dict = field(default_factory=dict)  # every numeric column of the (last) run, as a Series
    val_metric: Series | None = None  # the validation metric an expert reads first (mAP, macro F1, accuracy...)
    lr: Series | None = None
    runs: tuple[str, ...] = ()  # where the counter started again ("epoch 29 -> 0 at line 120"); () for one run
    source: str = ""  # text logs: which lines were read


# ---------------------------------------------------------------- entry points


def read_log(path: str | Path, train: str | None = None, val: str | None = None) -> TrainingLog:
    """Read any supported training log (a file, a pipe, or a directory holding one; "-" is standard input);
    `train`/`val` name columns."""
    if str(path) == "-":
        import sys

        return read_text(decoded(_read_capped(Path("<stdin>"), sys.stdin.buffer, MAX_TEXT_BYTES)))
    path = Path(path)
    if not path.exists():
        raise UsageError(f"no such file or directory: {path}")
    if path.is_dir():
        if any(path.rglob("events.out.tfevents*")):  # every sub-run: Keras writes train/ and validation/
            return _from_tensorboard(path, train, val)
        path = _find_log_in(path)
    if path.name.startswith("events.out.tfevents"):
        return _from_tensorboard(path.parent, train, val)
    try:
        with path.open("rb") as stream:
            head = stream.read(65536)
            if head.startswith(UTF16_BOMS) or old_mac_lines(head):  # read whole, as text: rare, and small
                raw = head + _read_capped(path, stream, MAX_TEXT_BYTES - len(head))
                return read_text(decoded(raw), path, train, val)
            _check_head(path, head)
            size = path.stat().st_size if stat.S_ISREG(path.stat().st_mode) else None
            text_head = head.decode("utf-8", errors="replace").lstrip("\ufeff")
            header = None if text_head.lstrip().startswith(("{", "[")) else sniff_header(text_head)
            if header is not None:
                if (size or 0) > MAX_TABLE_BYTES:
                    raise LogError(f"{path}: {size / 1e6:.0f} MB is too big for a training log; {EXPECTED}")
                if size is None:  # a pipe or a device: bounded like text
                    source = _capped_stream(path, head, stream, MAX_TEXT_BYTES)
                else:
                    stream.seek(0)
                    source = stream
                fmt = _table_format(path, header[0], header[1])
                table = read_delimited(path, source, header[0], header[1], fmt)
                return _from_table(path, table, train, val)
            if (size or 0) > MAX_TEXT_BYTES:
                raise LogError(
                    f"{path}: {size / 1e6:.0f} MB of JSON or text; kb reads at most {MAX_TEXT_BYTES // 2**20} MB of "
                    f"those (diagnose the end: tail -c 50000000 {path.name} > end.log)"
                )
            raw = head + _read_capped(path, stream, MAX_TEXT_BYTES - len(head))
    except OSError as exc:
        raise LogError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return read_text(raw.decode("utf-8", errors="replace"), path, train=train, val=val)


def read_text(text: str, path: str | Path = "<stdin>", train: str | None = None, val: str | None = None):
    """A log already in memory (a paste, `kb ask` on a piped log): JSON, CSV or a text log."""
    path = Path(path)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise LogError(f"{path}: empty file; {EXPECTED}")
    if text.lstrip().startswith(("{", "[")):
        table = read_json(path, text)
        if table is not None:
            return _from_table(path, table, train, val)
    header = sniff_header(text)
    if header is not None:
        import io

        stream = io.BytesIO(text.encode("utf-8"))
        table = read_delimited(path, stream, header[0], header[1], _table_format(path, header[0], header[1]))
        return _from_table(path, table, train, val)
    table = read_text_table(text)
    if table is None:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        cells = [c for c in re.split(r"[,;\t ]+", first) if c]
        if len(cells) >= 2 and all(number(c) is not None for c in cells):
            raise LogError(
                f"{path}: a table of numbers with no header row naming its columns (first line: {first[:60]!r})"
            )
        raise LogError(f"{path}: no training curve found; {LOOKED_FOR}")
    return _from_table(path, table, train, val)


def _check_head(path: Path, head: bytes) -> None:
    if not head.strip():
        raise LogError(f"{path}: empty file; {EXPECTED}")
    if b"\x00" in head[:4096]:
        raise LogError(f"{path}: binary data, not a training log; {EXPECTED}")


def _read_capped(path: Path, stream, limit: int) -> bytes:
    """The rest of a file, pipe or device, refusing more than `limit` bytes (/dev/zero never ends)."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise LogError(f"{path}: more than {MAX_TEXT_BYTES // 2**20} MB of text; {EXPECTED}")
    return data


def _capped_stream(path: Path, head: bytes, stream, limit: int):
    import io

    return io.BytesIO(head + _read_capped(path, stream, limit - len(head)))


def _find_log_in(directory: Path) -> Path:
    """A run directory: Lightning's metrics.csv or HF's trainer_state.json (the newest), else its only log file."""
    for name in ("metrics.csv", "trainer_state.json", "results.csv"):
        found = sorted(directory.rglob(name), key=lambda p: p.stat().st_mtime)
        if found:
            return found[-1]
    candidates = [p for ext in ("*.csv", "*.tsv", "*.jsonl", "*.json", "*.log") for p in directory.glob(ext)]
    if len(candidates) == 1:
        return candidates[0]
    names = ", ".join(sorted(p.name for p in candidates))
    why = f"several candidates: {names}; name one" if candidates else EXPECTED
    raise LogError(f"{directory}: no training log found in this directory ({why})")


def _table_format(path: Path, header: list[str], delimiter: str) -> str:
    names = {h.lower() for h in header}
    if cols.is_ultralytics(header):
        return "ultralytics results.csv"
    if path.name == "metrics.csv" and {"epoch", "step"} <= names:
        return "Lightning CSVLogger"
    if header[0].lower() == "epoch" and any("loss" in n for n in names):
        return "Keras CSVLogger" if delimiter == "," else "TSV"
    return "TSV" if delimiter == "\t" else "CSV"


# ---------------------------------------------------------------- table -> runs -> series


def _from_table(path: Path, table: Table, train: str | None, val: str | None) -> TrainingLog:
    if not table.rows:
        raise LogError(f"{path}: a header but no rows of values; nothing to diagnose yet")
    step_col, epoch_col = cols.counters(table.names)
    table, runs = _last_run(table, step_col, epoch_col)
    # the x axis: step when (nearly) every row has one, else epoch, else the row number
    # (a counter that never changes, "Epoch 46" printed once above the lines it would count, is no axis)
    covered = lambda name: (
        name is not None
        and np.isfinite(table.values[name]).mean() >= 0.9
        and np.nanmax(table.values[name]) > np.nanmin(table.values[name])
    )
    x_col, x_name = (
        (step_col, "step") if covered(step_col) else (epoch_col, "epoch") if covered(epoch_col) else (None, "row")
    )
    x_all = table.values[x_col] if x_col else np.arange(1, table.rows + 1, dtype=float)
    within = _steps_within_epochs(table, step_col, epoch_col) if step_col and x_col == step_col and epoch_col else None
    if within is not None:
        x_all, x_name = within, "epoch"
    series: dict[str, Series] = {}
    notes: list[str] = []
    for name in table.names:
        if name in (step_col, epoch_col):
            continue
        keep = table.logged(name) & np.isfinite(x_all)
        if not keep.any():
            continue
        epoch = table.values[epoch_col][keep] if epoch_col and x_col != epoch_col else None
        series[name] = _binned(Series(name, x_all[keep], table.values[name][keep], epoch), notes)
    return _from_series(path, table.format, x_name, series, train, val, notes, runs, table.used)


def _binned(series: Series, notes: list[str]) -> Series:
    """The series binned to MAX_POINTS (said in a note), as soon as it is made: one full-size copy at a time."""
    binned = bin_series(series)
    if len(binned) < len(series):
        size = math.ceil(len(series) / MAX_POINTS)
        notes.append(f"{series.name}: {len(series):,} points binned into {len(binned):,} means of {size}")
    return binned


def _last_run(table: Table, step_col: str | None, epoch_col: str | None) -> tuple[Table, tuple[str, ...]]:
    """Runs appended to one log (a counter that starts again, or the header repeated): keep the last."""
    starts = set(table.restart_rows)
    why: dict[int, str] = {r: "the header again" for r in table.restart_rows}
    # each row's epoch, or that of the last row before it that printed one: a validation line between two
    # training lines ("Loss: 0.985, MeanIU: 0.496") carries no epoch of its own
    epoch_so_far = _forward_filled(table.values[epoch_col]) if epoch_col is not None else None
    for name, label in ((epoch_col, "epoch"), (step_col, "step")):
        if name is None:
            continue
        values = table.values[name]
        rows = np.nonzero(~np.isnan(values))[0]
        drops = np.nonzero(np.diff(values[rows]) < 0)[0]
        by_column = _drops_for_its_columns(table, (epoch_col, step_col)) if name == step_col and len(drops) else None
        for d in drops:
            row = int(rows[d + 1])
            if name == step_col and _next_epoch(epoch_so_far, int(rows[d]), row):
                continue  # "Epoch: [353/520] Iter: [0/495]": the step counts within an epoch, and a new one began
            if by_column is not None and not by_column(row):
                continue  # rows of another kind with a counter of their own, interleaved (Lightning's val steps)
            starts.add(row)
            why.setdefault(row, f"{label} {_num(values[rows[d]])} -> {_num(values[row])}")
    starts.discard(0)
    if not starts:
        return table, ()
    where = "line" if table.lines is not None else "row"
    runs = tuple(
        f"{why[r]} at {where} {int(table.lines[r]) if table.lines is not None else r + 1}" for r in sorted(starts)
    )
    return table.select(max(starts)), runs


def _drops_for_its_columns(table: Table, counters: tuple) -> Callable[[int], bool]:
    """Whether the step went down at a row for a column that row logs (that column's previous row had a larger
    step). A Lightning metrics.csv interleaves validation rows whose step counts validation batches (0, 40, 80...)
    between training rows at global steps (49, 99, 149...): the step drops between the two kinds of row, never
    within one. Each column's rows are found once, so thousands of drops in a big log stay cheap."""
    steps = table.values[counters[1]]
    has_step = ~np.isnan(steps)
    logged = {name: table.logged(name) for name in table.names if name not in counters}
    rows_of = {name: np.nonzero(mask & has_step)[0] for name, mask in logged.items()}

    def drops(row: int) -> bool:
        for name, mask in logged.items():
            if not mask[row]:
                continue
            rows = rows_of[name]
            before = int(np.searchsorted(rows, row)) - 1
            if before >= 0 and steps[rows[before]] > steps[row]:
                return True
        return False

    return drops


def _next_epoch(epoch_so_far: np.ndarray | None, before: int, row: int) -> bool:
    """The epoch counter went up between two rows (a step counter that restarts there counts within epochs)."""
    if epoch_so_far is None:
        return False
    a, b = epoch_so_far[before], epoch_so_far[row]
    return bool(np.isfinite(a) and np.isfinite(b) and b > a)


def _forward_filled(values: np.ndarray) -> np.ndarray:
    """Each NaN replaced by the last number before it (NaN until the first)."""
    index = np.where(np.isfinite(values), np.arange(len(values)), -1)
    np.maximum.accumulate(index, out=index)
    return np.where(index >= 0, values[np.maximum(index, 0)], np.nan)


def _steps_within_epochs(table: Table, step_col: str, epoch_col: str) -> np.ndarray | None:
    """Epoch + step / steps-per-epoch, when the step counter starts again with every epoch (and is kept, so its
    drops were not restarts): a position that grows through the run, in epochs. None for a global step."""
    steps, epochs = table.values[step_col], table.values[epoch_col]
    both = np.isfinite(steps) & np.isfinite(epochs)
    if not both.any() or not (np.diff(steps[both]) < 0).any():
        return None
    return _forward_filled(epochs) + steps / (np.nanmax(steps[both]) + 1)  # an evaluation line: its epoch's


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def bin_series(s: Series, limit: int = MAX_POINTS) -> Series:
    """Consecutive points averaged in bins so at most `limit` remain (a nan or inf stays visible in its bin)."""
    n = len(s)
    if n <= limit:
        return s
    size = math.ceil(n / limit)
    usable = n - n % size
    shape = (usable // size, size)

    def binned(a: np.ndarray, last: bool = False) -> np.ndarray:
        head = a[:usable].reshape(shape)
        out = head[:, -1] if last else head.mean(axis=1)
        if usable < n:
            out = np.append(out, a[usable:][-1] if last else a[usable:].mean())
        return out

    epoch = binned(s.epoch, last=True) if s.epoch is not None else None
    with np.errstate(invalid="ignore"):
        return Series(s.name, binned(s.x), binned(s.y), epoch, s.higher_is_better, s.unbounded)


def _from_tensorboard(directory: Path, train, val) -> TrainingLog:
    raw = read_tensorboard(directory)
    series = {name: Series(name, x, y) for name, (x, y) in raw.items()}
    return _from_series(directory, "TensorBoard events", "step", series, train, val, [], (), "")


def _resolve(column: str, series: dict[str, Series], option: str, path: Path) -> str:
    if column in series:
        return column
    folded = {n.lower(): n for n in series}
    if column.lower() in folded:
        return folded[column.lower()]
    raise UsageError(
        f"{option} {column}: no such numeric column in {path.name} (columns: {', '.join(series) or 'none'})"
    )


def _oriented(s: Series) -> Series:
    """A metric curve marked with its direction (accuracy, F1, mAP: higher is better)."""
    k = cols.kind(s.name)
    if k in ("acc", "higher"):
        return Series(s.name, s.x, s.y, s.epoch, higher_is_better=True, unbounded=cols.unbounded(s.name))
    return s


def _from_series(path, fmt, x_name, series, train, val, notes, runs, source) -> TrainingLog:
    if not series:
        raise LogError(f"{path}: no numeric columns; {EXPECTED}")
    notes = list(notes)
    series = {name: _binned(s, notes) for name, s in series.items()}  # TensorBoard's come here whole
    names = list(series)
    if cols.is_ultralytics(names):  # YOLO minimizes the sum of its loss parts: that sum is the loss to read
        for role, parts in cols.ultralytics_parts(names).items():
            usable = [p for p in parts if len(series[p]) == len(series[parts[0]])] if parts else []
            if usable:
                first = series[usable[0]]
                total = np.sum([series[p].y for p in usable], axis=0)
                name = cols.summed_name(role, usable)
                series[name] = Series(name, first.x, total, first.epoch)
    kinds = {name: cols.kind(name) for name in series}
    roles = {name: cols.role(name) for name in series}
    sizes = {name: len(s) for name, s in series.items()}

    def of(kind: str, role: str) -> list[str]:
        return [n for n in series if kinds[n] == kind and roles[n] == role]

    summed = {r: [n for n in series if n.startswith(f"{r}/loss (")] for r in ("train", "val")}
    loss = {r: summed[r] or of("loss", r) for r in ("train", "val")}
    train_name = (
        _resolve(train, series, "--train", path) if train else cols.pick(loss["train"], cols.TRAIN_PREFERENCE, sizes)
    )
    val_name = _resolve(val, series, "--val", path) if val else cols.pick(loss["val"], cols.VAL_PREFERENCE, sizes)
    if val_name is None and train_name is not None and not val:
        # no validation loss, but a validation error that falls as a loss does ("train_loss, val_mse, val_rmse"
        # from a hand-written loop): it is the validation curve, read in its own units
        val_name = cols.pick_metric(of("lower", "val"), sizes)
        if val_name:
            notes.append(f"no validation loss: reading {val_name} (lower is better) as the validation curve")
    train_acc = cols.pick(of("acc", "train"), ("accuracy", "acc", "train_acc", "train_accuracy"), sizes)
    val_acc = cols.pick(of("acc", "val"), ("val_accuracy", "val_acc", "eval_accuracy"), sizes)
    val_metric = cols.pick_metric(of("acc", "val") + of("higher", "val") + of("lower", "val"), sizes)
    lr = cols.pick([n for n in series if kinds[n] == "lr"], ("lr", "learning_rate", "lr/pg0", "lr-adam"), sizes)
    if train_name is None and val_name is None:
        metric = {r: cols.pick_metric(of("acc", r) + of("higher", r) + of("lower", r), sizes) for r in ("train", "val")}
        if metric["train"] or metric["val"]:  # no loss: diagnose the metric (accuracy -> error rate) instead
            train_name, val_name = metric["train"], metric["val"]
            shown = ", ".join(n for n in (train_name, val_name) if n)
            if cols.unbounded(train_name or val_name):
                notes.append(f"no loss column: diagnosing {shown} instead (a return: higher is better)")
            elif cols.kind(train_name or val_name) == "lower":
                notes.append(f"no loss column: diagnosing {shown} instead (lower is better)")
            else:
                notes.append(f"no loss column: diagnosing the error rate (1 - value) of {shown} instead")
        elif fmt != "text log" or max(sizes.values()) >= MIN_POINTS:  # a line or two of text: "not enough data"
            raise LogError(
                f"{path}: no loss or accuracy column found (columns: {', '.join(list(series)[:12])}); "
                f"name the curves with --train COL and --val COL"
            )
    chosen = {role: _oriented(series[name]) for role, name in (("train", train_name), ("val", val_name)) if name}
    return TrainingLog(
        path=path,
        format=fmt,
        x_name=x_name,
        columns=tuple(series),
        train=chosen.get("train"),
        val=chosen.get("val"),
        train_acc=_oriented(series[train_acc]) if train_acc else None,
        val_acc=_oriented(series[val_acc]) if val_acc else None,
        notes=tuple(notes),
        series=series,
        val_metric=_oriented(series[val_metric]) if val_metric else None,
        lr=series[lr] if lr else None,
        runs=runs,
        source=source,
    )


__all__ = ["KbError", "LogError", "MAX_POINTS", "Series", "TrainingLog", "bin_series", "read_log", "read_text"]
