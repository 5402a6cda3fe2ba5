"""A `Diagnosis` as plain text, Markdown or JSON (registered in kb.formats), with a sparkline chart of the curves;
and the --plot figure.

Text and Markdown have a fixed layout (60-column charts), so piped output never depends on the terminal.
matplotlib is optional (`pip install 'kb-ml[plot]'`) and imported only for --plot.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import KbError, UsageError
from ..formats import renders
from ..render import indent
from ..shapes import diagnosis_json
from .findings import Diagnosis, Finding
from .logs import Series

CHART_WIDTH = 60
BARS = "▁▂▃▄▅▆▇█"
NON_FINITE_MARK = "×"
PLOT_MAGIC = {".png": (b"\x89PNG",), ".pdf": (b"%PDF",), ".svg": (b"<?xml", b"<svg")}


# ---------------------------------------------------------------- chart


def _values(series: Series) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(series.x, kind="stable")
    return series.x[order], series.y[order]


def _curves(diagnosis: Diagnosis) -> list[tuple[str, Series]]:
    log = diagnosis.log
    out = [(label, s) for label, s in (("train", log.train), ("val", log.val)) if s is not None]
    return out + [
        (label, s)
        for label, s in (("train acc", log.train_acc), ("val acc", log.val_acc))
        if s is not None and s not in (log.train, log.val)
    ]


def _column(x: float, lo: float, hi: float, width: int) -> int:
    return 0 if hi <= lo else min(width - 1, int((x - lo) / (hi - lo) * width))


def sparkline_chart(diagnosis: Diagnosis, width: int = CHART_WIDTH) -> list[str]:
    """One sparkline per curve on a shared x axis (mean per column; × marks nan/inf) and a line of event marks.

    Each line is scaled to its own range (logarithmic when it spans more than 100x), so every shape is visible;
    the first and last values are printed beside it. Fewer points than columns get one column each.
    """
    curves = _curves(diagnosis)
    if not curves:
        return []
    xs = np.concatenate([s.x for _, s in curves])
    lo, hi = float(xs.min()), float(xs.max())
    width = max(1, min(width, len(np.unique(xs))))
    name_width = max(len(s.name) for _, s in curves)
    lines, log_lines = [], []
    for _label, series in curves:
        x, y = _values(series)
        finite = y[np.isfinite(y)]
        log_scale = bool(len(finite) and finite.min() > 0 and finite.max() / finite.min() > 100)
        transform = np.log10 if log_scale else (lambda v: v)
        columns = (
            np.minimum(width - 1, ((x - lo) / (hi - lo) * width).astype(int)) if hi > lo else np.zeros(len(x), int)
        )
        ok = np.isfinite(y)
        counts = np.bincount(columns[ok], minlength=width)
        sums = np.bincount(columns[ok], weights=y[ok], minlength=width)
        cells = np.full(width, " ", dtype="<U1")
        if len(finite):
            s_lo, s_hi = float(transform(finite.min())), float(transform(finite.max()))
            filled = counts > 0
            means = sums[filled] / counts[filled]
            level = np.full(filled.sum(), 0.5) if s_hi <= s_lo else (transform(means) - s_lo) / (s_hi - s_lo)
            bars = np.clip((level * (len(BARS) - 1) + 0.5).astype(int), 0, len(BARS) - 1)
            cells[filled] = np.array(list(BARS))[bars]
        cells[np.unique(columns[~ok])] = NON_FINITE_MARK
        cells = list(cells)
        if log_scale:
            log_lines.append(series.name)
        lines.append(f"  {series.name:<{name_width}}  {''.join(cells)}  {_short(y[0])} -> {_short(y[-1])}")
    marks = [" "] * width
    legend = []
    for number, finding in enumerate(diagnosis.findings, 1):
        for event in finding.events:
            marks[_column(event.x, lo, hi, width)] = str(number) if number < 10 else "+"
            legend.append(f"{number} {event.label}")
    pad = " " * name_width
    lines.append(f"  {pad}  {''.join(marks)}  {diagnosis.log.x_name} {_short(lo)} .. {_short(hi)}")
    notes = []
    if legend:
        notes.append(f"marks: {', '.join(dict.fromkeys(legend))}")
    if log_lines:
        notes.append(f"log scale: {', '.join(log_lines)}")
    if notes:
        lines.append(f"  {pad}  {'; '.join(notes)}")
    return lines


def _short(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    if float(v).is_integer() and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.3g}"


# ---------------------------------------------------------------- text and Markdown


def _header(diagnosis: Diagnosis) -> list[str]:
    log = diagnosis.log
    cols = ", ".join(f"{role}: {s.name}" for role, s in (("train", log.train), ("val", log.val)) if s is not None)
    lines = [f"{log.path.name}  ({log.format}{'; ' + cols if cols else ''})"]
    lines += [log.source] if log.source else []
    lines += [f"note: {note}" for note in log.notes]
    lines.append(diagnosis.summary)
    return lines


def _verdict(diagnosis: Diagnosis) -> str:
    problems, main = diagnosis.problems, diagnosis.main
    counted = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    if main is not None and main.id == "not-enough-data":
        return "Cannot diagnose yet:"
    if main is not None and main.id == "restarted-runs":
        return f"Several runs in one log; in the last one, {counted.replace('0 problems', 'no problem')} found:"
    if diagnosis.healthy:
        if main is not None:
            return "No problem found: the run looks healthy. Where it stands:"
        return "No problem found: the run looks healthy." + (" Worth knowing:" if diagnosis.findings else "")
    return f"{counted} found{', the main one first' if len(problems) > 1 else ''}:"


def _finding_lines(number: int, finding: Finding, pages: dict) -> list[str]:
    refs = [f"{pages[s].category}/{s}" if s in pages else s for s in finding.slugs]
    return [
        f"{number}. {finding.title}  [{finding.severity}, {finding.confidence} confidence]",
        indent(finding.evidence),
        indent(f"Rule: {finding.rule}."),
        indent(f"Pages: {', '.join(refs)}"),
    ]


@renders("diagnosis", "text", "terminal")
def report_text(diagnosis: Diagnosis) -> str:
    lines = _header(diagnosis) + [""] + sparkline_chart(diagnosis) + ["", _verdict(diagnosis)]
    for number, finding in enumerate(diagnosis.findings, 1):
        lines += _finding_lines(number, finding, diagnosis.pages) + [""]
    top = diagnosis.top_page
    if top is not None:
        lines += [f"Try this first ({top.title}, kb show {top.slug}):", indent(top.try_first.strip()), ""]
        if top.snippet:
            lines += [f"Code to try (kb snippet {top.slug}):", indent(top.snippet.rstrip()), ""]
    return "\n".join(lines).rstrip() + "\n"


@renders("diagnosis", "markdown")
def report_markdown(diagnosis: Diagnosis) -> str:
    head = _header(diagnosis)
    lines = [f"## kb diagnose: {head[0]}", ""] + [f"*{line}*" for line in head[1:]] + [""]
    chart = sparkline_chart(diagnosis)
    if chart:
        lines += ["```text", *chart, "```", ""]
    lines += [f"**{_verdict(diagnosis)}**", ""]
    for number, finding in enumerate(diagnosis.findings, 1):
        refs = ", ".join(f"`{s}`" for s in finding.slugs)
        lines += [
            f"### {number}. {finding.title}",
            "",
            f"*{finding.severity}, {finding.confidence} confidence*",
            "",
            finding.evidence,
            "",
            f"- **Rule:** {finding.rule}",
            f"- **Pages:** {refs}",
            "",
        ]
    top = diagnosis.top_page
    if top is not None:
        lines += [f"### Try this first: {top.title}", "", top.try_first.strip(), ""]
        if top.snippet:
            lines += ["```python", top.snippet.rstrip(), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


@renders("diagnosis", "json")
def report_json(diagnosis: Diagnosis) -> str:
    return json.dumps(diagnosis_json(diagnosis), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ---------------------------------------------------------------- --plot


def check_plot_path(path: Path) -> None:
    """Only .png/.svg/.pdf, and never over a file that is not already such an image (a typo must not eat code)."""
    suffix = path.suffix.lower()
    if suffix not in PLOT_MAGIC:
        raise UsageError(f"--plot {path}: give a .png, .svg or .pdf file name")
    if path.exists():
        head = path.read_bytes()[:64].lstrip() if path.is_file() else b""
        if not any(head.startswith(m) for m in PLOT_MAGIC[suffix]):
            raise UsageError(f"--plot {path}: exists and is not a {suffix[1:]} image; not overwriting it")
    if not path.parent.exists():
        raise UsageError(f"--plot {path}: no such directory {path.parent}")


def save_plot(diagnosis: Diagnosis, path: str | Path) -> Path:
    """The curves and the marked events as a figure (png, svg or pdf by the file name)."""
    path = Path(path)
    check_plot_path(path)
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError:
        raise KbError("--plot needs matplotlib: pip install 'kb-ml[plot]'") from None
    curves = _curves(diagnosis)
    has_acc = any("acc" in label for label, _ in curves)
    fig, axes = plt.subplots(2 if has_acc else 1, 1, figsize=(9, 6.5 if has_acc else 4.5), sharex=True, squeeze=False)
    ax_loss = axes[0][0]
    colors = {"train": "tab:blue", "val": "tab:orange", "train acc": "tab:blue", "val acc": "tab:orange"}
    for label, series in curves:
        ax = axes[1][0] if "acc" in label else ax_loss
        x, y = _values(series)
        ok = np.isfinite(y)
        ax.plot(x[ok], y[ok], label=series.name, color=colors[label], lw=1.2, marker="." if len(x) <= 60 else None)
        if (~ok).any():
            bad_y = np.full((~ok).sum(), float(y[ok].max()) if ok.any() else 1.0)
            ax.scatter(x[~ok], bad_y, marker="x", color="red", zorder=3, label=f"{series.name}: nan/inf")
    finite_losses = np.concatenate([s.y[np.isfinite(s.y)] for label, s in curves if "acc" not in label] or [[]])
    if len(finite_losses) and finite_losses.min() > 0 and finite_losses.max() / finite_losses.min() > 100:
        ax_loss.set_yscale("log")
    for number, finding in enumerate(diagnosis.findings, 1):
        for event in finding.events:
            color = "tab:red" if finding.severity == "problem" else "tab:green"
            for row in axes:
                row[0].axvline(event.x, color=color, ls="--", lw=0.9, alpha=0.8)
            ax_loss.annotate(
                f"{number} {event.label}",
                (event.x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -12),
                textcoords="offset points",
                fontsize=8,
                color=color,
            )
    first = diagnosis.log.train or diagnosis.log.val
    ax_loss.set_ylabel(first.name if first is not None and first.higher_is_better else "loss")
    ax_loss.legend(loc="upper right", fontsize=8)
    if has_acc:
        axes[1][0].set_ylabel("accuracy")
        axes[1][0].legend(loc="lower right", fontsize=8)
    axes[-1][0].set_xlabel(diagnosis.log.x_name)
    verdict = "healthy" if diagnosis.healthy else "; ".join(f.title for f in diagnosis.problems[:2])
    ax_loss.set_title(f"{diagnosis.log.path.name}: {verdict}", fontsize=10)
    fig.tight_layout()
    # write next to the target, then replace: an interrupted save never leaves half an image
    fd, tmp = tempfile.mkstemp(prefix=".kb-plot-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
