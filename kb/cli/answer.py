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
    complete_paths,
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
    code: bool = typer.Option(
        False,
        "--code",
        help="Print only the top answer's snippet, ready to paste (its first line, a comment, names the page).",
    ),
    explain: bool = typer.Option(False, "--explain", help="Show why each page ranked where it did."),
    full: bool = typer.Option(False, "--full", help="Show the whole page, not one screen."),
    brief: bool = typer.Option(False, "--brief", help="Three lines: the page, its summary, where to read more."),
    no_pager: bool = typer.Option(False, "--no-pager", help="Never page long output on a terminal."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Answer a question, an error message or a pasted log with the page that explains it.

    By default one screen: the page, its summary, what matched, "Try this first", the snippet and related pages;
    on a terminal, longer output goes through a pager (KB_PAGER, PAGER, else less), as git does.

    Exit codes: 0 answered, 1 no page covers it (the nearest pages are listed), 2 usage error, 4 model or index
    problem.
    """
    from ..prose import site_url

    if full and brief:
        raise UsageError("--full and --brief: choose one")
    text = read_query(query)
    engine = make_engine(concepts)
    answer = engine.ask(text, k=top)
    if code:
        if answer.best is not None and answer.confident:
            # the first line says where the code comes from, for whoever finds it pasted into a file later
            emit(f"# {answer.best.title} (kb show {answer.best.slug})\n{answer.best.snippet}")
        else:
            typer.echo(
                "kb: no confident match; nothing to paste (run without --code to see the nearest pages)", err=True
            )
    else:
        chosen = output_format(fmt, as_json)
        options = {"explain": explain}
        if chosen != "json":
            view = "full" if full else "brief" if brief else "screen"
            page = engine.page(answer.best.slug) if full and answer.best is not None and answer.confident else None
            options.update(view=view, page=page, site_url=site_url())
        show_as("answer", answer, chosen, pager=not no_pager, **options)
    raise typer.Exit(EXIT_OK if answer.confident else EXIT_NO_MATCH)


@app.command()
@handles_errors
def diagnose(
    log: Path = typer.Argument(
        ...,
        autocompletion=complete_paths,
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
    file: str = typer.Argument(
        ..., help="A training script (.py) or notebook (.ipynb); '-' reads stdin.", autocompletion=complete_paths
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (same as --format json)."),
    fmt: Optional[Format] = typer.Option(None, "--format", help="Output format (default: text)."),
    name: Optional[str] = typer.Option(None, "--name", help="The name to show for the code (e.g. of stdin)."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Read a training script without running it: its knobs (each with the page to read), likely mistakes, and
    where to start.

    Exit codes: 0 no likely mistake (minor points may be listed), 1 likely mistakes found, 2 a file kb cannot
    read (missing, too big, not Python).
    """
    if file == "-" and (sys.stdin is None or sys.stdin.isatty()):
        raise UsageError("no code on stdin: kb explain train.py, or pipe it: cat train.py | kb explain -")
    result = make_engine(concepts).explain(file, name=name)
    show_as("explanation", result, output_format(fmt, as_json))
    raise typer.Exit(EXIT_NO_MATCH if result.likely_mistakes else EXIT_OK)


@app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@handles_errors
def run_command(
    ctx: typer.Context,
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Run a training command and watch it: kb run -- python train.py --lr 3e-4

    Its output passes through unchanged and kb exits with its exit code. When it crashes, kb answers for the
    traceback (on stderr, after the output); when its output shows nan/inf losses or a warning kb has a page for,
    kb says so once at the end. Exit 127 when the command cannot be started.
    """
    from ..watch import run_and_watch

    argv = list(ctx.args)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise UsageError("give the command to run after --: kb run -- python train.py")
    outcome = run_and_watch(argv, sys.stdout.buffer, sys.stderr.buffer)
    notes = watch_notes(outcome, concepts)
    if notes:
        typer.echo("\n".join(notes), err=True)
    raise typer.Exit(outcome.returncode)


def watch_notes(outcome, concepts) -> list[str]:
    """What kb says after a watched run: the page for its crash, or for the nan/inf losses or warnings it showed."""
    if outcome.crashed:
        question, lead = outcome.traceback, "the run crashed"
    elif outcome.non_finite:
        question, lead = (
            "\n".join(outcome.non_finite[:20]),
            f"the output shows a nan/inf loss ({outcome.non_finite[0]})",
        )
    elif outcome.warnings:
        question, lead = outcome.warnings[0], f"the output shows a warning ({outcome.warnings[0]})"
    else:
        return []
    answer = make_engine(concepts).ask(question, k=3)
    if answer.best is None or not answer.confident:
        return [f"kb: {lead}; no page covers it yet (kb ask for the nearest)"] if outcome.crashed else []
    best = answer.best
    return [
        f"kb: {lead}: {best.title} [{best.category}/{best.slug}]",
        f"kb: {best.summary}",
        f"kb: more: kb show {best.slug}  (code: kb snippet {best.slug})",
    ]
