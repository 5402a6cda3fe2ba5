"""The `kb` command's shared pieces: the typer app, the options every command takes, one-line errors, and how an
answer reaches stdout (plain, rich or through a pager). Commands live beside it, one module per kind of work."""

from __future__ import annotations

import functools
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import EXIT_OK, KbError, UsageError

app = typer.Typer(
    name="kb",
    help="Just-in-time concept lookup for machine learning: ask why your model misbehaves, get the page and a "
    "snippet to try.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ConceptsOption = typer.Option(
    None,
    "--concepts",
    help="Extra concept directory (repeatable); its pages override built-in ones with the same slug.",
    metavar="DIR",
)


class Format(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


def fail(message: str, code: int) -> None:
    typer.echo(f"kb: {message}", err=True)
    raise typer.Exit(code)


def handles_errors(command):
    """Errors a user can cause end in one line on stderr and an exit code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except OutputError:
            raise
        except KbError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:  # `kb ask ... | head`: the reader left; nothing to report
            sys.stderr.close()
            raise typer.Exit(EXIT_OK) from None

    return wrapper


def stderr_progress():
    """A progress callback drawing a rich bar on stderr, created on first use."""
    state: dict = {}

    def progress(done: int, total: int) -> None:
        if total == 0:
            return
        if "bar" not in state:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            state["bar"] = Progress(
                TextColumn("kb: embedding pages"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            state["bar"].start()
            state["task"] = state["bar"].add_task("embed", total=total)
        state["bar"].update(state["task"], completed=done)
        if done >= total:
            state["bar"].stop()

    return progress


def make_engine(concepts: Optional[List[Path]]):
    from ..api import Engine

    return Engine(concepts or (), progress=stderr_progress())


def read_query(words: Optional[List[str]]) -> str:
    from ..query import MAX_INPUT_BYTES, decode

    if words and words != ["-"]:
        return " ".join(words)
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError('no query: kb ask "loss is nan", or pipe text: python train.py 2>&1 | kb ask')
    return decode(sys.stdin.buffer.read(MAX_INPUT_BYTES + 1))


class OutputError(KbError):
    """stdout cannot take the answer (a full disk, a closed descriptor): the one error `run` ends with os._exit,
    since flushing stdout again at exit would fail again."""


def emit(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: stdout was closed
        reason = getattr(exc, "strerror", None) or exc
        raise OutputError(f"cannot write the answer to standard output ({reason})") from None


def output_format(fmt: Optional[Format], as_json: bool = False) -> str:
    """The output format asked for: --json, else --format, else rich on a terminal and plain text in a pipe."""
    if as_json:
        return "json"
    if fmt is not None:
        return fmt.value
    return "terminal" if sys.stdout.isatty() else "text"


def show_as(kind: str, thing, fmt: str, **options) -> None:
    from ..formats import render

    emit(render(kind, thing, fmt, **options))
