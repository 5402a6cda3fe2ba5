"""Stage 5: the `kb` command. It parses arguments and prints; everything else lives in the library (`import kb`).

One module per kind of work: common (the app, options, errors, output), answer (ask, diagnose, explain, run),
library (show, snippet, list, new, check, index, cache, eval), serve (mcp, site).
"""

from __future__ import annotations

import inspect
import os
import sys

import typer

from .. import __version__
from . import answer, library, serve  # noqa: F401  (each registers its commands on the app)
from .common import OutputError, app


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kb {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
):
    """Just-in-time concept lookup for machine learning."""


def command_names() -> set[str]:
    """The names `kb` dispatches on (ask, show, ..., site), read from the app without building click's commands."""
    names = {info.name or info.callback.__name__.rstrip("_").replace("_", "-") for info in app.registered_commands}
    return names | {info.name for info in app.registered_groups if info.name}


def ask_options() -> set[str]:
    """The options of `kb ask` (`--brief`, `-k`, `--json`...), read from its signature like command_names."""
    info = next(i for i in app.registered_commands if (i.name or i.callback.__name__) == "ask")
    parameters = inspect.signature(info.callback).parameters.values()
    return {d for p in parameters for d in (getattr(p.default, "param_decls", None) or ())}


def with_default_command(args: list[str]) -> list[str]:
    """`kb loss is nan` means `kb ask loss is nan`, as tldr, cheat.sh and howdoi users type: when the first word is
    neither an option nor a command, `ask` goes in front; so it does before an option only `ask` has (`kb --brief
    loss is nan`). Commands win: `kb show x` is still `kb show`, and `kb --help` is kb's help."""
    if not args:
        return args
    first = args[0].split("=", 1)[0]
    if first.startswith("-"):
        return ["ask", *args] if first in ask_options() else args
    if first not in command_names():
        return ["ask", *args]
    return args


def run() -> None:
    """The `kb` command. Usage errors (a bad option, a value out of range) are one `kb:` line too, not click's box."""
    from typer.core import _click as click  # typer 0.28 carries its own copy of click; its exceptions are these

    if sys.stdout is None:  # started with stdout closed: there is nowhere to put an answer
        print("kb: standard output is closed; nothing to write the answer to", file=sys.stderr)
        raise SystemExit(4)
    try:
        # the same name in usage and completion, however kb was started
        code = app(args=with_default_command(sys.argv[1:]), prog_name="kb", standalone_mode=False)
    except click.exceptions.UsageError as exc:
        where = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
        print(f"kb: {exc.format_message()}{where}", file=sys.stderr)
        code = 2
    except typer.Abort:
        print("kb: interrupted", file=sys.stderr)
        code = 130
    except OutputError as exc:
        print(f"kb: {exc}", file=sys.stderr, flush=True)
        os._exit(exc.exit_code)  # no exit-time flush of the stdout that just failed
    raise SystemExit(code if isinstance(code, int) else 0)
