"""`kb diagnose`: read a training log, name what is going wrong with evidence, and point to the pages to read.

A wing of its own: logs (files in, curves out: tables, textlogs, columns) -> curves (smoothed, aligned) -> rules,
endstate, noise, readings (findings) -> verdict (the main finding first) -> report (text, Markdown, JSON, a
figure). It never imports the search engine: the pages a diagnosis names are handed in.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from .findings import CONFIDENCES, Diagnosis, Event, Finding
from .logs import LogError, Series, TrainingLog, read_log, read_text
from .verdict import diagnose_log, quiet_numpy


def diagnose_file(
    path: str | Path,
    train: str | None = None,
    val: str | None = None,
    classes: int | None = None,
    pages: dict | None = None,
) -> Diagnosis:
    """Read a training log and diagnose it. `train`/`val` name the columns to use (default: mapped from names like
    loss, val_loss, eval_loss); `classes` is the number of classes, for the chance-level check (default: guessed
    for 2..10 classes); `pages` maps slugs to Pages, for the pages the findings name (kb.Engine passes its own)."""
    if classes is not None and classes < 2:
        raise UsageError(f"--classes must be at least 2 (got {classes})")
    with quiet_numpy():
        log = read_log(path, train=train, val=val)
    return _diagnosis(log, classes, pages)


def diagnose_text(text: str, name: str = "<stdin>", classes: int | None = None, pages: dict | None = None):
    """Diagnose a log given as text (a paste, a pipe): the same reading as diagnose_file."""
    with quiet_numpy():
        log = read_text(text, name)
    return _diagnosis(log, classes, pages)


def _diagnosis(log: TrainingLog, classes: int | None, pages: dict | None) -> Diagnosis:
    findings, summary = diagnose_log(log, classes)
    pages = pages or {}
    named = {slug: pages[slug] for f in findings for slug in f.slugs if slug in pages}
    return Diagnosis(log, findings, summary, named)


__all__ = [
    "CONFIDENCES",
    "Diagnosis",
    "Event",
    "Finding",
    "LogError",
    "Series",
    "TrainingLog",
    "diagnose_file",
    "diagnose_log",
    "diagnose_text",
    "read_log",
    "read_text",
]
