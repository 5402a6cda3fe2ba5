"""`kb ask`, `kb diagnose`, `kb explain`: the commands that answer a question, a log or a script."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import EXIT_NO_MATCH, EXIT_OK, UsageError
from .common import (
    ConceptsOption,
    Format,
    app,
    emit,
    handles_errors,
    make_engine,
    output_format,
    read_query,
    show_as,
)


@app.command()
@handles_errors
def ask(
    query: Optional[List[str]] = typer.Argument(
        None, help="The question, error or symptom; read from stdin when absent or '-'."
    ),
    top: int = typer.Option(3, "-k", "--top", min=1, max=50, help="How many pages to return."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (same as --format json)."),
    fmt: Optional[Format] = typer.Option(None, "--format", help="Output format (default: text)."),
    code: bool = typer.Option(False, "--code", help="Print only the top answer's snippet, ready to paste."),
    explain: bool = typer.Option(False, "--explain", help="Show why each page ranked where it did."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Answer a question, an error message or a pasted log with the page that explains it.

    Exit codes: 0 answered, 1 no confident match, 2 usage error, 4 model or index problem.
    """
    text = read_query(query)
    answer = make_engine(concepts).ask(text, k=top)
    if code:
        if answer.best is not None and answer.confident:
            emit(answer.best.snippet)
        else:
            typer.echo(
                "kb: no confident match; nothing to paste (run without --code to see the nearest pages)", err=True
            )
    else:
        show_as("answer", answer, output_format(fmt, as_json), explain=explain)
    raise typer.Exit(EXIT_OK if answer.confident else EXIT_NO_MATCH)


@app.command()
@handles_errors
def diagnose(
    log: Path = typer.Argument(
        ...,
        help="A training log, or a run directory holding one (TensorBoard events, "
        "Lightning metrics.csv, HF trainer_state.json).",
    ),
    train: Optional[str] = typer.Option(None, "--train", metavar="COL", help="Column (or tag) of the training curve."),
    val: Optional[str] = typer.Option(None, "--val", metavar="COL", help="Column (or tag) of the validation curve."),
    classes: Optional[int] = typer.Option(
        None,
        "--classes",
        help="Number of classes, for the chance-level check (default: guessed for 2-10 from the first loss).",
    ),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE", help="Also save a figure (.png, .svg, .pdf)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (same as --format json)."),
    fmt: Optional[Format] = typer.Option(None, "--format", help="Output format (default: text)."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Read a training log, name what is going wrong with the evidence, and point to the pages to read.

    Exit codes: 0 healthy, 1 problems found (or too little data), 2 unreadable log or bad option,
    4 an optional package is missing (tensorboard for event files, matplotlib for --plot).
    """
    from ..diagnosis import report

    if plot is not None:
        report.check_plot_path(plot)  # fail before reading the log, not after
    result = make_engine(concepts).diagnose(log, train=train, val=val, classes=classes)
    if plot is not None:
        report.save_plot(result, plot)
        typer.echo(f"kb: plot saved to {plot}", err=True)
    show_as("diagnosis", result, output_format(fmt, as_json))
    raise typer.Exit(EXIT_OK if result.healthy else EXIT_NO_MATCH)


@app.command()
@handles_errors
def explain(
    file: str = typer.Argument(..., help="A training script (.py) or notebook (.ipynb); '-' reads stdin."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (same as --format json)."),
    fmt: Optional[Format] = typer.Option(None, "--format", help="Output format (default: text)."),
    name: Optional[str] = typer.Option(None, "--name", help="The name to show for the code (e.g. of stdin)."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Read a training script without running it: its knobs (each with the page to read), likely mistakes, and
    where to start.

    Exit codes: 0 no likely mistake, 1 likely mistakes found, 2 a file kb cannot read (missing, too big, not
    Python).
    """
    if file == "-" and (sys.stdin is None or sys.stdin.isatty()):
        raise UsageError("no code on stdin: kb explain train.py, or pipe it: cat train.py | kb explain -")
    result = make_engine(concepts).explain(file, name=name)
    show_as("explanation", result, output_format(fmt, as_json))
    raise typer.Exit(EXIT_NO_MATCH if result.mistakes else EXIT_OK)
