"""Structured logs into columns: CSV/TSV (streamed in chunks), JSON, JSON lines and TensorBoard event files, each
read into a `Table` of float arrays, never a dict per row, so a 200 MB log stays a few arrays in memory.

An empty cell means "not logged in this row" (Lightning pads its rows that way) and is NaN in the column; a cell
reading nan is a logged non-finite value, which diagnose looks for, so its row is listed in `Table.nan_rows`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import KbError

CHUNK_BYTES = 8 * 1024 * 1024  # CSV is parsed this many bytes at a time
NON_FINITE_TEXT = re.compile(rb"nan|inf", re.IGNORECASE)
HEADER_NAME = re.compile(r"^[A-Za-z_][\w ./()\[\]%@#:+-]*$")  # a column name starts with a letter
# The first line is a header only if every cell is such a name and the next lines are mostly numbers: a
# Counter({4: 4965, ...}) printout, a config dump or a bare list of numbers is never taken for one.
MIN_NUMERIC_SHARE = 0.5


class TableError(KbError):
    """A log file kb cannot read: one line saying what it expected."""

    exit_code = 2


@dataclass
class Table:
    """A log's numbers: `values[name]` is one float per row, NaN where that row did not log the column; the rows
    where it logged nan are in `nan_rows[name]`. `restart_rows` are rows where a repeated header starts a new run;
    `lines` the source line of each row (text logs); `used` says which lines were read."""

    format: str
    values: dict[str, np.ndarray]
    rows: int
    nan_rows: dict[str, np.ndarray] = field(default_factory=dict)
    restart_rows: list[int] = field(default_factory=list)
    lines: np.ndarray | None = None
    used: str = ""

    @property
    def names(self) -> list[str]:
        return list(self.values)

    def logged(self, name: str) -> np.ndarray:
        """Rows that logged the column (nan included)."""
        mask = ~np.isnan(self.values[name])
        nan_rows = self.nan_rows.get(name)
        if nan_rows is not None and len(nan_rows):
            mask[nan_rows] = True
        return mask

    def select(self, start: int) -> Table:
        """The rows from `start` on (the last of several runs)."""
        nan_rows = {k: v[v >= start] - start for k, v in self.nan_rows.items()}
        lines = self.lines[start:] if self.lines is not None else None
        values = {k: v[start:] for k, v in self.values.items()}
        return Table(self.format, values, self.rows - start, nan_rows, [], lines, self.used)


class RowBuilder:
    """Rows arriving one at a time (JSON, text) into columns: per column the row indices and values it logged."""

    def __init__(self):
        self.rows = 0
        self.index: dict[str, array] = {}
        self.data: dict[str, array] = {}
        self.lines = array("q")

    def add(self, row: dict, line: int = 0) -> None:
        for key, raw in row.items():
            value = number(raw)
            if value is None:
                continue
            if key not in self.index:
                self.index[key], self.data[key] = array("q"), array("d")
            self.index[key].append(self.rows)
            self.data[key].append(value)
        self.lines.append(line)
        self.rows += 1

    def table(self, fmt: str, **extra) -> Table:
        values, nan_rows = {}, {}
        for key, idx in self.index.items():
            column = np.full(self.rows, np.nan)
            rows, data = np.frombuffer(idx, dtype=np.int64), np.frombuffer(self.data[key], dtype=np.float64)
            column[rows] = data
            values[key] = column
            if np.isnan(data).any():
                nan_rows[key] = rows[np.isnan(data)]
        lines = np.frombuffer(self.lines, dtype=np.int64).copy() if self.rows else None
        return Table(fmt, values, self.rows, nan_rows, lines=lines, **extra)


def number(value) -> float | None:
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


# ---------------------------------------------------------------- JSON


def read_json(path: Path, text: str) -> Table | None:
    """A JSON log, JSON lines, or None when the text is not JSON at all (a text log may start with a dict)."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise TableError(f"{path}: JSON nested too deeply to be a training log") from None
    except json.JSONDecodeError as exc:
        table = _json_lines(text)
        if table is not None:
            return table
        if text.lstrip().startswith("{") and exc.pos > 0 and "log_history" in text[:4096]:
            raise TableError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}); is the file truncated?") from None
        return None
    return _from_json(path, data)


def _json_lines(text: str) -> Table | None:
    builder = RowBuilder()
    lines = [line for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            if i == len(lines) - 1 and builder.rows:  # a run killed mid-write leaves a half line: keep the rest
                break
            return None
        if not isinstance(row, dict):
            return None
        builder.add(row, i + 1)
    return builder.table("JSON lines") if builder.rows else None


def _from_json(path: Path, data) -> Table:
    if isinstance(data, dict) and isinstance(data.get("log_history"), list):
        # HF Trainer: one entry per logging/eval event; the last one is the run summary (train_runtime, mean loss).
        builder = RowBuilder()
        for entry in data["log_history"]:
            if not isinstance(entry, dict) or "train_runtime" in entry:
                continue
            row = dict(entry)
            # logging_nan_inf_filter (on by default) logs a nan/inf step as the window's running mean, often 0.0;
            # the gradient norm logged beside it still shows the truth
            grad = number(row.get("grad_norm"))
            if grad is not None and not math.isfinite(grad) and number(row.get("loss")) is not None:
                row["loss"] = math.nan
            builder.add(row)
        return builder.table("Hugging Face trainer_state.json")
    if isinstance(data, dict) and isinstance(data.get("history"), dict):
        return _from_json(path, data["history"])
    if isinstance(data, dict) and data and all(isinstance(v, (list, dict)) for v in data.values()):
        # Keras History.history: {"loss": [...], "val_loss": [...]}, one value per epoch, epochs counted from 1;
        # saved through pandas (DataFrame.to_json) each metric is {"0": v, "1": v, ...} instead of a list.
        columns = {k: _as_list(v) for k, v in data.items()}
        if all(c is not None for c in columns.values()):
            return _per_epoch_lists(columns, "Keras History JSON")
    if isinstance(data, dict) and (series := _longest_numeric_lists(data)):
        # A hand-made history: {"train_loss": [...], "val_acc": [...], "backbone": "...", "classes": [...]}: the
        # numeric lists of the run's length are the curves, everything else is a description of the run.
        return _per_epoch_lists(series, "JSON dict of per-epoch lists")
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        builder = RowBuilder()
        for row in data:
            builder.add(row)
        return builder.table("JSON records")
    raise TableError(
        f"{path}: JSON, but neither a HF trainer_state.json (log_history), a Keras History dict "
        f'({{"loss": [...]}}) nor a list of records'
    )


def _per_epoch_lists(columns: dict[str, list], fmt: str) -> Table:
    builder = RowBuilder()
    for i in range(max(len(c) for c in columns.values())):
        builder.add({"epoch": i + 1, **{k: c[i] for k, c in columns.items() if i < len(c)}})
    return builder.table(fmt)


def _longest_numeric_lists(data: dict) -> dict[str, list]:
    """The values that are lists of numbers of the longest such length (at least 3), by key."""
    numeric = {}
    for key, value in data.items():
        values = _as_list(value) if isinstance(value, (list, dict)) else None
        if values and len(values) >= 3 and all(number(v) is not None or v is None for v in values):
            numeric[key] = values
    if not numeric:
        return {}
    longest = max(len(v) for v in numeric.values())
    return {k: v for k, v in numeric.items() if len(v) == longest}


def _as_list(values) -> list | None:
    if isinstance(values, list):
        return values
    keys = list(values)
    if all(isinstance(k, str) and k.isdigit() for k in keys):
        return [values[k] for k in sorted(keys, key=int)]
    return None


# ---------------------------------------------------------------- CSV / TSV


def sniff_header(text: str) -> tuple[list[str], str] | None:
    """(column names, delimiter) when the text starts with a real header row, else None."""
    lines = [line for line in text[:65536].splitlines()[:12] if line.strip()]
    if not lines:
        return None
    first = lines[0]
    delimiter = "\t" if "\t" in first else ";" if first.count(";") > first.count(",") else ","
    header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    if len(header) < 2 or not all(HEADER_NAME.match(h) for h in header):
        return None
    if len(lines) == 1:
        return header, delimiter  # a header and nothing else yet: read_delimited says so
    # empty cells are missing values, not text: Lightning's metrics.csv leaves most of each row empty (per-step
    # columns on epoch rows and back), and a sparse first few rows must not hide a table
    cells = [c for line in lines[1:] for c in next(csv.reader([line], delimiter=delimiter), []) if c.strip()]
    if not cells or sum(number(c) is not None for c in cells) < MIN_NUMERIC_SHARE * len(cells):
        return None
    return header, delimiter


def read_delimited(path: Path, stream, header: list[str], delimiter: str, fmt: str) -> Table:
    """Stream the rows after the header into columns, CHUNK_BYTES at a time: numpy's C parser when the chunk is
    plain numbers (empty cells become NaN), the csv module when it has quotes, words, ragged rows or nan text."""
    stream.readline()  # the header, already read
    names = [h if h else f"column {i + 1}" for i, h in enumerate(header)]
    # one pass to count the lines, so every column is allocated once at its final size (no concatenation)
    body = stream.tell()
    capacity = sum(block.count(b"\n") for block in iter(lambda: stream.read(CHUNK_BYTES), b"")) + 1
    stream.seek(body)
    block_of_columns = np.full((len(names), capacity), np.nan)
    nan_rows: dict[int, list[np.ndarray]] = {}
    restart_rows: list[int] = []
    rows = 0
    sep = delimiter.encode()
    tail = b""
    while True:
        block = stream.read(CHUNK_BYTES)
        data = tail + block
        if not block:
            tail = b""
        else:
            cut = data.rfind(b"\n")
            if cut < 0:
                tail = data
                continue
            data, tail = data[: cut + 1], data[cut + 1 :]
        if data.strip():
            values, nans, headers = _parse_chunk(data, sep, delimiter, len(names), header)
            for col, idx in nans.items():
                nan_rows.setdefault(col, []).append(idx + rows)
            restart_rows += [r + rows for r in headers]
            block_of_columns[:, rows : rows + len(values)] = values.T
            rows += len(values)
        if not block:
            break
    if not rows:
        raise TableError(f"{path}: a header but no rows of values; nothing to diagnose yet")
    values = {}
    for j, name in enumerate(names):
        values.setdefault(name, block_of_columns[j, :rows])  # a duplicated column name: the first one counts
    nan_index = {names[j]: np.concatenate(v) for j, v in nan_rows.items() if names[j] in values}
    return Table(fmt, values, rows, nan_index, restart_rows)


def _parse_chunk(data: bytes, sep: bytes, delimiter: str, width: int, header: list[str]):
    """(rows x width floats, {column: rows logging nan}, rows repeating the header) for one chunk of lines."""
    data = data.replace(b"\r\n", b"\n")
    if not data.endswith(b"\n"):
        data += b"\n"
    if b'"' not in data and not NON_FINITE_TEXT.search(data):
        filled = (b"\n" + data).replace(b"\n" + sep, b"\n" + b"nan" + sep)
        filled = filled.replace(sep + sep, sep + b"nan" + sep).replace(sep + sep, sep + b"nan" + sep)
        filled = filled.replace(sep + b"\n", sep + b"nan\n")
        try:
            values = np.loadtxt(io.BytesIO(filled), delimiter=delimiter, dtype=np.float64, ndmin=2, comments=None)
        except ValueError:
            values = None
        if values is not None and values.shape[1] == width:
            return values, {}, []
    return _parse_chunk_slowly(data.decode("utf-8", errors="replace"), delimiter, width, header)


def _parse_chunk_slowly(text: str, delimiter: str, width: int, header: list[str]):
    rows: list[list[float]] = []
    nans: dict[int, list[int]] = {}
    headers: list[int] = []
    try:
        for cells in csv.reader(io.StringIO(text), delimiter=delimiter):
            if not cells or not any(c.strip() for c in cells):
                continue
            if [c.strip() for c in cells] == header:
                headers.append(len(rows))  # the header again: another run appended to the same file
                continue
            row = [math.nan] * width
            for j, cell in enumerate(cells[:width]):
                value = number(cell)
                if value is not None:
                    row[j] = value
                    if math.isnan(value):
                        nans.setdefault(j, []).append(len(rows))
            rows.append(row)
    except csv.Error as exc:
        raise TableError(f"unreadable as CSV ({exc})") from None
    values = np.array(rows, dtype=np.float64).reshape(len(rows), width)
    return values, {j: np.array(v, dtype=np.int64) for j, v in nans.items()}, headers


# ---------------------------------------------------------------- TensorBoard


def read_tensorboard(directory: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every scalar under a run directory as (steps, values); sub-runs (Keras writes train/ and validation/) get
    their directory as a prefix."""
    try:
        from tensorboard.backend.event_processing import event_accumulator
        from tensorboard.util import tensor_util
    except ImportError:
        raise KbError(
            "reading TensorBoard event files needs the tensorboard package: pip install 'kb-ml[tensorboard]'"
        ) from None
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    run_dirs = sorted({p.parent for p in directory.rglob("events.out.tfevents*")}) or [directory]
    for run_dir in run_dirs:
        prefix = "" if run_dir == directory else f"{run_dir.relative_to(directory).as_posix()}/"
        acc = event_accumulator.EventAccumulator(
            str(run_dir), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0}
        )
        try:
            acc.Reload()
        except Exception as exc:  # noqa: BLE001  (a corrupt file: the reader's own error, in one line)
            raise TableError(f"{run_dir}: unreadable TensorBoard event file ({type(exc).__name__}: {exc})") from None
        tags = acc.Tags()
        for tag in tags.get("scalars", []):
            events = acc.Scalars(tag)
            series[prefix + tag] = (np.array([e.step for e in events], float), np.array([e.value for e in events]))
        for tag in tags.get("tensors", []):  # TF2 summaries store scalars as 0-d tensors
            values = [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]
            values = [(s, float(v)) for s, v in values if getattr(v, "size", 0) == 1 and v.dtype.kind in "fiu"]
            if values:
                series[prefix + tag] = (np.array([s for s, _ in values], float), np.array([v for _, v in values]))
    if not series:
        raise TableError(
            f"{directory}: TensorBoard event files without scalar summaries (log them with "
            f"SummaryWriter.add_scalar or tf.summary.scalar)"
        )
    return series
