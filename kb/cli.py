"""Stage 5: the `kb` command. It parses arguments and prints; everything else lives in the library (`import kb`)."""

from __future__ import annotations

import functools
import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .categories import NAMES as CATEGORY_NAMES
from .errors import EXIT_NO_MATCH, EXIT_OK, KbError, UsageError

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


def _stderr_progress():
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


def _engine(concepts: Optional[List[Path]]):
    from .api import Engine

    return Engine(concepts or (), progress=_stderr_progress())


def _read_query(words: Optional[List[str]]) -> str:
    from .query import MAX_INPUT_BYTES, decode

    if words and words != ["-"]:
        return " ".join(words)
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError('no query: kb ask "loss is nan", or pipe text: python train.py 2>&1 | kb ask')
    return decode(sys.stdin.buffer.read(MAX_INPUT_BYTES + 1))


class OutputError(KbError):
    """stdout cannot take the answer (a full disk, a closed descriptor): the one error `run` ends with os._exit,
    since flushing stdout again at exit would fail again."""


def _print(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: stdout was closed
        reason = getattr(exc, "strerror", None) or exc
        raise OutputError(f"cannot write the answer to standard output ({reason})") from None


def _format(fmt: Optional[Format], as_json: bool = False) -> str:
    """The output format asked for: --json, else --format, else rich on a terminal and plain text in a pipe."""
    if as_json:
        return "json"
    if fmt is not None:
        return fmt.value
    return "terminal" if sys.stdout.isatty() else "text"


def _render(kind: str, thing, fmt: str, **options) -> None:
    from .formats import render

    _print(render(kind, thing, fmt, **options))


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
    text = _read_query(query)
    answer = _engine(concepts).ask(text, k=top)
    if code:
        if answer.best is not None and answer.confident:
            _print(answer.best.snippet)
        else:
            typer.echo(
                "kb: no confident match; nothing to paste (run without --code to see the nearest pages)", err=True
            )
    else:
        _render("answer", answer, _format(fmt, as_json), explain=explain)
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
    from .diagnosis import report

    if plot is not None:
        report.check_plot_path(plot)  # fail before reading the log, not after
    result = _engine(concepts).diagnose(log, train=train, val=val, classes=classes)
    if plot is not None:
        report.save_plot(result, plot)
        typer.echo(f"kb: plot saved to {plot}", err=True)
    _render("diagnosis", result, _format(fmt, as_json))
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
    result = _engine(concepts).explain(file, name=name)
    _render("explanation", result, _format(fmt, as_json))
    raise typer.Exit(EXIT_NO_MATCH if result.mistakes else EXIT_OK)


@app.command()
@handles_errors
def show(
    slug: str = typer.Argument(..., help="Page slug, e.g. learning-rate."),
    fmt: Format = typer.Option(Format.text, "--format", help="text, markdown or json."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Print one page."""
    page = _engine(concepts).page(slug)
    _render("page", page, "terminal" if fmt is Format.text and sys.stdout.isatty() else fmt.value)


@app.command()
@handles_errors
def snippet(slug: str = typer.Argument(..., help="Page slug."), concepts: Optional[List[Path]] = ConceptsOption):
    """Print a page's snippet, ready to paste or pipe into python (stderr says which file it comes from)."""
    page = _engine(concepts).page(slug)
    where = "the built-in page" if page.origin == "built-in" else f"{page.path} (not a built-in page)"
    typer.echo(f"kb: snippet of {page.slug} from {where}", err=True)
    _print(page.snippet)


@app.command("list")
@handles_errors
def list_(
    category: Optional[str] = typer.Option(None, "--category", "-c", help="Only this category."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """List the pages, with the directory each one comes from."""
    _render("pages", _engine(concepts).pages(category), "json" if as_json else "text")


@app.command()
@handles_errors
def index(
    force: bool = typer.Option(False, "--force", help="Re-embed every page."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Build or update the search index (kb ask does this on first use)."""
    engine = _engine(concepts)
    stats = engine.build_index(force=force)
    if stats is None:
        _print(f"index is up to date: {len(engine.library)} pages, {engine.index_file}\n")
    else:
        _print(
            f"indexed {stats.pages} pages ({stats.chunks} vectors); embedded {stats.embedded_pages} page(s) in "
            f"{stats.seconds:.1f} s; {stats.bytes / 1024:.0f} KiB at {stats.path}\n"
        )


@app.command()
@handles_errors
def cache(
    prune: bool = typer.Option(
        False,
        "--prune",
        help="Remove stale files: temporary files of builds that died, "
        "indexes unused for 30 days (kb index does this too).",
    ),
    clear: bool = typer.Option(False, "--clear", help="Remove everything kb keeps (rebuilt on next use)."),
    home: Optional[Path] = typer.Option(
        None, "--home", help="kb's home folder (default: KB_HOME, else the user cache folder).", metavar="DIR"
    ),
):
    """Show what kb keeps on disk (indexes, the model export, site caches), and prune or clear it."""
    from . import cache as kb_cache
    from .config import kb_home

    folder = Path(home).expanduser() if home else kb_home()
    if clear or prune:
        removed = kb_cache.clear(folder) if clear else kb_cache.prune(folder)
        _print("".join(f"removed {path}\n" for path in removed) or "nothing to remove\n")
        return
    entries = kb_cache.inventory(folder)
    if not entries:
        _print(f"kb keeps nothing under {folder} yet\n")
        return
    import time

    for entry in entries:
        days = (time.time() - entry.last_used) / 86400
        used = "today" if days < 1 else f"{days:.0f} days ago"
        _print(f"{entry.kind:<9} {entry.bytes / 2**20:8.1f} MB  used {used:<12} {entry.path}  ({entry.about})\n")
    _print(f"total {sum(e.bytes for e in entries) / 2**20:.1f} MB under {folder}\n")


@app.command()
@handles_errors
def check(
    paths: Optional[List[Path]] = typer.Argument(None, help="Pages or concept directories (default: all)."),
    run: bool = typer.Option(False, "--run", help="Also run every snippet."),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", min=1, help="Snippets run side by side (default: one per CPU core)."
    ),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Lint pages against the format in CONTRIBUTING.md: file:line: message per problem."""
    from .check import check_paths, run_snippets
    from .pages import page_files, parse_page

    if not paths:
        from .config import settings

        paths = [d for d, _ in settings(concepts or ()).concept_dirs if d.is_dir()]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or directory: {missing[0]}")
    problems = check_paths(paths)
    for problem in problems:
        _print(f"{problem}\n")
    failed = 0
    if run:
        files = [f for p in paths for f in ([p] if p.is_file() else page_files(p))]
        pages = [page for page in (parse_page(file)[0] for file in files) if page is not None]
        results = run_snippets(pages, jobs)
        for page in pages:
            result = results.get(page.slug)
            if result is not None and not result.ok:
                failed += 1
                last = result.output.strip().splitlines()[-1:] or ["(no output)"]
                _print(f"{page.path}:{page.section_lines.get('Code to try', 1)}: snippet failed: {last[0]}\n")
    count = len(problems) + failed
    typer.echo(f"kb check: {count} problem(s)" if count else "kb check: all pages pass", err=True)
    raise typer.Exit(EXIT_NO_MATCH if count else EXIT_OK)


@app.command("eval")
@handles_errors
def eval_(
    file: Path = typer.Argument(..., help="YAML list of {q: str, expect: [slug, ...]}."),
    where: Optional[List[str]] = typer.Option(
        None,
        "--where",
        metavar="FIELD=VALUE",
        help="Only the entries whose FIELD equals VALUE (repeatable), e.g. --where half=dev.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Measure retrieval: top-1, top-3, MRR, "no confident match" rates and the misses."""
    from .evaluate import evaluate, load_cases

    selected = {}
    for condition in where or ():
        key, equals, value = condition.partition("=")
        if not equals or not key:
            raise UsageError(f"--where {condition}: write FIELD=VALUE, e.g. --where half=dev")
        selected[key] = value
    cases = load_cases(file, selected)
    _render("eval", evaluate(_engine(concepts), cases), "json" if as_json else "text")


@app.command()
@handles_errors
def new(
    slug: str = typer.Argument(..., help="The new page's slug: lowercase words joined by '-'."),
    category: str = typer.Option(..., "--category", "-c", help=f"The category folder: {', '.join(CATEGORY_NAMES)}."),
    directory: Optional[Path] = typer.Option(
        None, "--dir", help="Concepts directory (default: ./concepts, else the project's .kb/concepts)."
    ),
    title: Optional[str] = typer.Option(None, "--title", help="Page title (default: from the slug)."),
):
    """Write a page skeleton in the page format, ready to fill in."""
    from .skeleton import new_page

    path = new_page(slug, category, directory, title)
    _print(f"{path}\n")


@app.command()
@handles_errors
def mcp(
    concepts: Optional[List[Path]] = ConceptsOption,
    home: Optional[Path] = typer.Option(
        None,
        "--home",
        metavar="DIR",
        help="kb's home folder for the index and the model export (default: KB_HOME, else the user cache folder). "
        "MCP clients start servers with a minimal environment: pass it here rather than relying on KB_HOME.",
    ),
):
    """Run a Model Context Protocol server on stdio (tools: ask, show, explain) for coding agents."""
    from .mcp_server import serve

    serve(concepts or (), home=home)


site_app = typer.Typer(
    help="The docs site: every concept page, and a search box that answers like kb ask.", no_args_is_help=True
)
app.add_typer(site_app, name="site")


@site_app.command("build")
@handles_errors
def site_build(
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Output directory (default: site/ next to mkdocs.yml)."
    ),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Build the static site (mkdocs build --strict); serve it with `python -m http.server -d site`."""
    from .site.build import build_site

    site_dir = build_site(out, concepts=concepts or ())
    _print(f"{site_dir}\n")


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


def run() -> None:
    """The `kb` command. Usage errors (a bad option, a value out of range) are one `kb:` line too, not click's box."""
    from typer.core import _click as click  # typer 0.28 carries its own copy of click; its exceptions are these

    if sys.stdout is None:  # started with stdout closed: there is nowhere to put an answer
        print("kb: standard output is closed; nothing to write the answer to", file=sys.stderr)
        raise SystemExit(4)
    try:
        code = app(prog_name="kb", standalone_mode=False)  # the same name in usage and completion, however started
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
