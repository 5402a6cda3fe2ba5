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
    "snippet to try. `kb QUESTION...` is short for `kb ask QUESTION...`, options of ask included (`kb --brief "
    "loss is nan`); when the first word is a command, the command wins: `kb ask show me` asks.",
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


def show_as(kind: str, thing, fmt: str, pager: bool = True, **options) -> None:
    """Render `thing` and print it; on a terminal, output taller than the window goes through a pager."""
    from ..formats import render

    text = render(kind, thing, fmt, **options)
    if fmt == "terminal" and pager and not page_through_pager(text):
        emit(text)
    elif fmt != "terminal" or not pager:
        emit(text)


def pager_command() -> list[str] | None:
    """The pager, as git chooses one: KB_PAGER, else PAGER, else `less` when it is installed; none for "" or cat."""
    import os
    import shlex
    import shutil

    for name in ("KB_PAGER", "PAGER"):
        if name in os.environ:
            value = os.environ[name].strip()
            return None if value in ("", "cat") else shlex.split(value)
    return ["less"] if shutil.which("less") else None


def page_through_pager(text: str) -> bool:
    """Show `text` through the pager when stdout is a terminal and `text` is taller than it; False when it was not
    paged (it fits, no pager, or the pager could not start), so the caller prints it."""
    import os
    import shutil
    import subprocess

    if not sys.stdout.isatty() or text.count("\n") < shutil.get_terminal_size().lines - 1:
        return False
    command = pager_command()
    if command is None:
        return False
    # like git: quit if one screen, pass colours, do not clear the screen on exit
    env = {**os.environ, "LESS": os.environ.get("LESS", "FRX"), "LV": os.environ.get("LV", "-c")}
    try:
        pager = subprocess.Popen(command, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    try:
        pager.stdin.write(text.encode("utf-8", "replace"))
        pager.stdin.close()
    except BrokenPipeError:  # the reader quit the pager early
        pass
    pager.wait()
    return True


def complete_paths(incomplete: str) -> list[str]:
    """Shell completion of file and folder names (kb diagnose <TAB>, kb explain <TAB>); folders end in '/'."""
    import glob
    import os

    matches = sorted(glob.glob(os.path.expanduser(incomplete) + "*"))[:200]
    return [m + "/" if os.path.isdir(m) else m for m in matches]
