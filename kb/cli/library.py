"""`kb show`, `snippet`, `list`, `new`, `check`, `index`, `cache`, `eval`: the library and its upkeep."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..categories import NAMES as CATEGORY_NAMES
from ..errors import EXIT_NO_MATCH, EXIT_OK, UsageError
from .common import (
    ConceptsOption,
    Format,
    app,
    emit,
    handles_errors,
    make_engine,
    show_as,
)


def complete_slugs(incomplete: str) -> list[str]:
    """Shell completion of page slugs (kb show <TAB>): file names only, nothing parsed, no model loaded."""
    from ..config import settings
    from ..pages import page_files

    slugs = {p.stem for d, _ in settings().concept_dirs if d.is_dir() for p in page_files(d)}
    return sorted(s for s in slugs if s.startswith(incomplete))


@app.command()
@handles_errors
def show(
    slug: str = typer.Argument(..., help="Page slug, e.g. learning-rate.", autocompletion=complete_slugs),
    fmt: Format = typer.Option(
        Format.text, "--format", help="text (Markdown rendered on a terminal, plain in a pipe), markdown or json."
    ),
    no_pager: bool = typer.Option(False, "--no-pager", help="Never page long output on a terminal."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Print one page."""
    from ..prose import site_url

    page = make_engine(concepts).page(slug)
    chosen = "terminal" if fmt is Format.text and sys.stdout.isatty() else fmt.value
    show_as("page", page, chosen, pager=not no_pager, site_url=site_url())


@app.command()
@handles_errors
def snippet(
    slug: str = typer.Argument(..., help="Page slug.", autocompletion=complete_slugs),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Print a page's snippet, ready to paste or pipe into python (stderr says which file it comes from)."""
    page = make_engine(concepts).page(slug)
    where = "the built-in page" if page.origin == "built-in" else f"{page.path} (not a built-in page)"
    typer.echo(f"kb: snippet of {page.slug} from {where}", err=True)
    emit(page.snippet)


@app.command("list")
@handles_errors
def list_(
    category: Optional[str] = typer.Option(None, "--category", "-c", help="Only this category."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """List the pages, with the directory each one comes from."""
    show_as("pages", make_engine(concepts).pages(category), "json" if as_json else "text")


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
    from ..skeleton import new_page

    path = new_page(slug, category, directory, title)
    emit(f"{path}\n")


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
    from ..check import check_paths, run_snippets
    from ..pages import page_files, parse_page

    if not paths:
        from ..config import settings

        paths = [d for d, _ in settings(concepts or ()).concept_dirs if d.is_dir()]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or directory: {missing[0]}")
    problems = check_paths(paths)
    for problem in problems:
        emit(f"{problem}\n")
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
                emit(f"{page.path}:{page.section_lines.get('Code to try', 1)}: snippet failed: {last[0]}\n")
    count = len(problems) + failed
    typer.echo(f"kb check: {count} problem(s)" if count else "kb check: all pages pass", err=True)
    raise typer.Exit(EXIT_NO_MATCH if count else EXIT_OK)


@app.command()
@handles_errors
def index(
    force: bool = typer.Option(False, "--force", help="Re-embed every page."),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Build or update the search index (kb ask does this on first use)."""
    engine = make_engine(concepts)
    stats = engine.build_index(force=force)
    if stats is None:
        emit(f"index is up to date: {len(engine.library)} pages, {engine.index_file}\n")
    else:
        emit(
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
    from .. import cache as kb_cache
    from ..config import kb_home

    folder = Path(home).expanduser() if home else kb_home()
    if clear or prune:
        removed = kb_cache.clear(folder) if clear else kb_cache.prune(folder)
        emit("".join(f"removed {path}\n" for path in removed) or "nothing to remove\n")
        return
    entries = kb_cache.inventory(folder)
    if not entries:
        emit(f"kb keeps nothing under {folder} yet\n")
        return
    import time

    for entry in entries:
        days = (time.time() - entry.last_used) / 86400
        used = "today" if days < 1 else f"{days:.0f} days ago"
        emit(f"{entry.kind:<9} {entry.bytes / 2**20:8.1f} MB  used {used:<12} {entry.path}  ({entry.about})\n")
    emit(f"total {sum(e.bytes for e in entries) / 2**20:.1f} MB under {folder}\n")


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
    from ..evaluate import evaluate, load_cases

    selected = {}
    for condition in where or ():
        key, equals, value = condition.partition("=")
        if not equals or not key:
            raise UsageError(f"--where {condition}: write FIELD=VALUE, e.g. --where half=dev")
        selected[key] = value
    cases = load_cases(file, selected)
    show_as("eval", evaluate(make_engine(concepts), cases), "json" if as_json else "text")
