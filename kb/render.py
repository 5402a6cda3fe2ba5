"""Stage 4: answers, pages, page lists and eval reports as plain text, Markdown, JSON, or rich terminal output,
registered in kb.formats.

Plain text and Markdown have a fixed layout (nothing depends on the terminal's width when piped); the terminal
format (rich) is only chosen when stdout is a terminal.
"""

from __future__ import annotations

import io
import json
import shutil

from .formats import renders
from .pages import Page
from .prose import plain, resolve_links
from .search import Answer, Result
from .shapes import answer_json as answer_shape
from .shapes import eval_dict, page_dict, page_list_item

NO_MATCH = "No page covers this yet; nearest:"


def _explain(result: Result) -> str:
    lexical = (
        f"rank {result.lexical_rank}, bm25 {result.lexical_score:.2f}" if result.lexical_rank else "no shared words"
    )
    return (
        f"dense rank {result.dense_rank} (cosine {result.dense_score:.3f}); lexical {lexical}; "
        f'final {result.score:.3f}; best match: {result.matched_kind} "{result.matched}"'
    )


def _read_as(answer: Answer) -> str:
    """The typo corrections made to the query, e.g. "Read 'learnign' as 'learning'." ("" when none)."""
    pairs = ", ".join(f"'{typed}' as '{read}'" for typed, read in answer.corrections)
    return f"Read {pairs}." if pairs else ""


def _one_line(i: int, r: Result) -> str:
    return f"{i}. {r.title} ({r.category}/{r.slug}, {r.score:.2f}): {r.summary}"


@renders("answer", "json")
def answer_json(answer: Answer, explain: bool = False) -> str:
    return json.dumps(answer_shape(answer, explain), indent=2, ensure_ascii=False) + "\n"


VIEWS = ("screen", "brief", "full")  # what an answer shows: one screen (default), three lines, or the whole page


def _head(best: Result) -> str:
    return f"{best.title}  [{best.category}/{best.slug}]"


def _more(best: Result) -> str:
    return f"More: kb show {best.slug}  (code: kb snippet {best.slug})"


def _also(answer: Answer, explain: bool) -> list[str]:
    lines = []
    for i, r in enumerate(answer.results[1:], 2):
        lines.append(f"  {_one_line(i, r)}")
        if explain:
            lines.append(f"     {_explain(r)}")
    return ["Also:", *lines] if lines else []


def _no_match(answer: Answer, explain: bool) -> list[str]:
    lines = [NO_MATCH]
    for i, r in enumerate(answer.results, 1):
        lines.append(_one_line(i, r))
        if explain:
            lines.append(f"   {_explain(r)}")
    return lines


@renders("answer", "text")
def answer_text(
    answer: Answer, explain: bool = False, view: str = "screen", page: Page | None = None, site_url: str | None = None
) -> str:
    """Plain text with a fixed layout (nothing depends on the terminal's width): Markdown marks removed, links
    between pages as `kb show SLUG`, the snippet whole and indented by four spaces."""
    lines: list[str] = [_read_as(answer), ""] if answer.corrections else []
    if explain and answer.searched != " ".join(answer.query.split()):
        lines += [f"Searched for: {answer.searched}", ""]
    if not answer.confident:
        return "\n".join(lines + _no_match(answer, explain)) + "\n"
    best = answer.results[0]
    if view == "brief":
        return "\n".join(lines + [_head(best), best.summary, _more(best)]) + "\n"
    matched = f"Matched: {best.matched}" + (f" ({best.matched_kind})" if best.matched_kind != "symptom" else "")
    lines += [_head(best), best.summary, matched, ""]
    if explain:
        lines += [f"Why first: {_explain(best)}", ""]
    if view == "full" and page is not None:
        lines += [plain(page_markdown(page, title=False), page.category, site_url).rstrip(), ""]
    else:
        lines += ["Try this first:", indent(plain(best.try_first, best.category, site_url)), ""]
        if best.snippet:
            lines += [f"Code to try (kb snippet {best.slug}):", indent(best.snippet.rstrip()), ""]
    if best.related:
        lines += [f"Related: {', '.join(best.related)}", ""]
    lines += _also(answer, explain)
    lines.append(_more(best))
    return "\n".join(lines).rstrip() + "\n"


@renders("answer", "markdown")
def answer_markdown(
    answer: Answer, explain: bool = False, view: str = "screen", page: Page | None = None, site_url: str | None = None
) -> str:
    lines: list[str] = [f"*{_read_as(answer)}*", ""] if answer.corrections else []
    if not answer.confident:
        lines += [f"**{NO_MATCH}**", ""]
        for i, r in enumerate(answer.results, 1):
            lines.append(f"{i}. **{r.title}** (`{r.category}/{r.slug}`): {r.summary}")
            if explain:
                lines.append(f"   - {_explain(r)}")
        return "\n".join(lines) + "\n"
    best = answer.results[0]
    lines += [f"## {best.title}", "", f"*{best.summary}*", ""]
    if view == "brief":
        return "\n".join(lines + [f"`kb show {best.slug}`"]) + "\n"
    lines += [f"**Matched:** {best.matched}", ""]
    if explain:
        lines += [f"**Why first:** {_explain(best)}", ""]
    if view == "full" and page is not None:
        lines += [resolve_links(page_markdown(page, title=False), page.category, site_url).rstrip(), ""]
    else:
        lines += ["### Try this first", "", resolve_links(best.try_first.strip(), best.category, site_url), ""]
        if best.snippet:
            lines += ["### Code to try", "", "```python", best.snippet.rstrip(), "```", ""]
    if best.related:
        lines += ["**Related:** " + ", ".join(f"`{r}`" for r in best.related), ""]
    if len(answer.results) > 1:
        lines += ["### Also", ""]
        for i, r in enumerate(answer.results[1:], 2):
            lines.append(f"{i}. **{r.title}** (`{r.category}/{r.slug}`): {r.summary}")
            if explain:
                lines.append(f"   - {_explain(r)}")
    return "\n".join(lines).rstrip() + "\n"


def terminal_console(width: int | None = None):
    """A rich console that renders into a string as the terminal would show it (colours unless NO_COLOR)."""
    from rich.console import Console

    return Console(file=io.StringIO(), force_terminal=True, width=width or shutil.get_terminal_size().columns)


@renders("answer", "terminal")
def answer_terminal(
    answer: Answer, explain: bool = False, view: str = "screen", page: Page | None = None, site_url: str | None = None
) -> str:
    console = terminal_console()
    rich_answer(answer, console, explain, view, page, site_url)
    return console.file.getvalue()


def print_code(console, code: str) -> None:
    """A snippet, highlighted, that copies from the screen as it runs: never cut at the window's edge (rich would
    crop long lines); a line wider than the window wraps where the terminal wraps it."""
    from rich.syntax import Syntax

    width = max((len(line) for line in code.splitlines()), default=1)
    console.print(
        Syntax(code, "python", theme="ansi_dark", background_color="default", code_width=width),
        soft_wrap=True,
        crop=False,
    )


def rich_answer(
    answer: Answer,
    console,
    explain: bool = False,
    view: str = "screen",
    page: Page | None = None,
    site_url: str | None = None,
) -> None:
    """The same content as `answer_text`, with headings, Markdown and a highlighted snippet, for a terminal. The
    order is the order of importance: what the page is, what to try, then the code, so that in a pager the first
    screen is the useful one."""
    from rich.markdown import Markdown
    from rich.text import Text

    if answer.corrections:
        console.print(Text(_read_as(answer), style="dim"))
    if explain and answer.searched != " ".join(answer.query.split()):
        console.print(Text(f"Searched for: {answer.searched}", style="dim"))
    if not answer.confident:
        console.print(Text(NO_MATCH, style="bold yellow"))
        for i, r in enumerate(answer.results, 1):
            console.print(Text(_one_line(i, r)))
            if explain:
                console.print(Text(f"   {_explain(r)}", style="dim"))
        return
    best = answer.results[0]
    console.print(Text.assemble((best.title, "bold"), (f"  {best.category}/{best.slug}", "dim")))
    console.print(Text(best.summary))
    if view == "brief":
        console.print(Text(_more(best), style="dim"))
        return
    console.print(Text.assemble(("Matched: ", "dim"), best.matched))
    if explain:
        console.print(Text(f"Why first: {_explain(best)}", style="dim"))
    if view == "full" and page is not None:
        _print_sections(console, page, site_url)
    else:
        console.print(Text("\nTry this first", style="bold green"))
        console.print(Markdown(resolve_links(best.try_first, best.category, site_url)))
        if best.snippet:
            console.print(Text(f"\nCode to try (kb snippet {best.slug})", style="bold green"))
            print_code(console, best.snippet.rstrip())
    if best.related:
        console.print(Text.assemble(("Related: ", "dim"), ", ".join(best.related)))
    if len(answer.results) > 1:
        console.print(Text("Also:", style="bold"))
        for i, r in enumerate(answer.results[1:], 2):
            console.print(Text(f"  {_one_line(i, r)}"))
            if explain:
                console.print(Text(f"     {_explain(r)}", style="dim"))
    console.print(Text(_more(best), style="dim"))


def page_markdown(page: Page, title: bool = True) -> str:
    """A page as Markdown without its front matter (`kb show --format markdown`, editors, MCP); links between pages
    as the page's file has them."""
    lines = [f"# {page.title}", "", f"*{page.summary}*", ""] if title else []
    for name, text in page.sections.items():
        lines += [f"## {name}", "", text.strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


@renders("page", "markdown")
def page_markdown_resolved(page: Page, site_url: str | None = None) -> str:
    """`kb show --format markdown`: links between pages lead somewhere from outside the docs folder."""
    return resolve_links(page_markdown(page), page.category, site_url)


@renders("page", "text")
def page_text(page: Page, site_url: str | None = None) -> str:
    """`kb show` in a pipe: plain text (no Markdown marks), links as `kb show SLUG`, the snippet whole."""
    return plain(page_markdown(page), page.category, site_url)


@renders("page", "json")
def page_json(page: Page, site_url: str | None = None) -> str:
    return json.dumps(page_dict(page), indent=2, ensure_ascii=False) + "\n"


@renders("page", "terminal")
def page_terminal(page: Page, site_url: str | None = None) -> str:
    from rich.text import Text

    console = terminal_console()
    console.print(Text(page.title, style="bold"))
    console.print(Text(page.summary))
    _print_sections(console, page, site_url)
    return console.file.getvalue()


def _print_sections(console, page, site_url) -> None:
    """Every section of a page, its snippet printed whole (never cut at the window's edge)."""
    from rich.markdown import Markdown
    from rich.text import Text

    for name, text in page.sections.items():
        console.print(Text(f"\n{name}", style="bold green"))
        if name == "Code to try" and page.snippet:
            print_code(console, page.snippet.rstrip())
        else:
            console.print(Markdown(resolve_links(text, page.category, site_url)))


@renders("pages", "text", "terminal")
def pages_text(pages: list[Page]) -> str:
    """`kb list`: one line per page with the directory it comes from."""
    width = max((len(f"{p.category}/{p.slug}") for p in pages), default=10)
    return "".join(f"{p.category + '/' + p.slug:<{width}}  {p.title}  ({p.origin})\n" for p in pages)


@renders("pages", "json")
def pages_json(pages: list[Page]) -> str:
    return json.dumps([page_list_item(p) for p in pages], indent=2) + "\n"


@renders("eval", "json")
def eval_json(report) -> str:
    return json.dumps(eval_dict(report), indent=2) + "\n"


@renders("eval", "text", "terminal")
def eval_text(report) -> str:
    lines = [
        f"on-topic queries: {report.total}  top-1: {report.top1:.3f}  top-3: {report.top3:.3f}  MRR: {report.mrr:.3f}"
    ]
    if report.off_topic:
        lines.append(
            f"off-topic queries: {report.off_topic}  answered 'no confident match': "
            f"{report.no_match_rate:.3f}; on-topic answered without confidence: "
            f"{report.on_topic_not_confident}"
        )
    for kind, numbers in sorted(report.by_kind.items()):
        lines.append(f"  kind {kind}: {numbers['total']} on-topic, top-1 {numbers['top1']:.3f}")
    for miss in report.misses:
        lines.append(f"miss (rank {miss['rank']}): {miss['q'][:90]!r} expected {miss['expect']} got {miss['got']}")
    return "\n".join(lines) + "\n"


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.strip("\n").splitlines())
