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
from .search import Answer, Result
from .shapes import answer_json as answer_shape
from .shapes import eval_dict, page_dict, page_list_item

NO_MATCH = "No confident match: kb has no page that clearly explains this. The nearest pages:"


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


@renders("answer", "text")
def answer_text(answer: Answer, explain: bool = False) -> str:
    lines: list[str] = [_read_as(answer), ""] if answer.corrections else []
    if explain and answer.searched != " ".join(answer.query.split()):
        lines += [f"Searched for: {answer.searched}", ""]
    if not answer.confident:
        lines.append(NO_MATCH)
        for i, r in enumerate(answer.results, 1):
            lines.append(_one_line(i, r))
            if explain:
                lines.append(f"   {_explain(r)}")
        return "\n".join(lines) + "\n"
    best = answer.results[0]
    lines += [
        f"{best.title}  [{best.category}/{best.slug}]",
        best.summary,
        "",
        f"Matched: {best.matched}" + (f" ({best.matched_kind})" if best.matched_kind != "symptom" else ""),
        "",
    ]
    if explain:
        lines += [f"Why first: {_explain(best)}", ""]
    lines += ["Try this first:", indent(best.try_first), ""]
    if best.snippet:
        lines += [f"Code to try (kb snippet {best.slug}):", indent(best.snippet.rstrip()), ""]
    if best.related:
        lines += [f"Related: {', '.join(best.related)}", ""]
    if len(answer.results) > 1:
        lines.append("Also:")
        for i, r in enumerate(answer.results[1:], 2):
            lines.append(f"  {_one_line(i, r)}")
            if explain:
                lines.append(f"     {_explain(r)}")
    lines.append(f"More: kb show {best.slug}")
    return "\n".join(lines).rstrip() + "\n"


@renders("answer", "markdown")
def answer_markdown(answer: Answer, explain: bool = False) -> str:
    lines: list[str] = [f"*{_read_as(answer)}*", ""] if answer.corrections else []
    if not answer.confident:
        lines += [f"**{NO_MATCH}**", ""]
        for i, r in enumerate(answer.results, 1):
            lines.append(f"{i}. **{r.title}** (`{r.category}/{r.slug}`): {r.summary}")
            if explain:
                lines.append(f"   - {_explain(r)}")
        return "\n".join(lines) + "\n"
    best = answer.results[0]
    lines += [f"## {best.title}", "", f"*{best.summary}*", "", f"**Matched:** {best.matched}", ""]
    if explain:
        lines += [f"**Why first:** {_explain(best)}", ""]
    lines += ["### Try this first", "", best.try_first.strip(), ""]
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


def terminal_console():
    """A rich console that renders into a string as the terminal would show it (colours unless NO_COLOR)."""
    from rich.console import Console

    return Console(file=io.StringIO(), force_terminal=True, width=shutil.get_terminal_size().columns)


@renders("answer", "terminal")
def answer_terminal(answer: Answer, explain: bool = False) -> str:
    console = terminal_console()
    rich_answer(answer, console, explain)
    return console.file.getvalue()


def rich_answer(answer: Answer, console, explain: bool = False) -> None:
    """The same content as `answer_text`, with headings, Markdown and a highlighted snippet, for a terminal."""
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.syntax import Syntax
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
    head = Text.assemble(
        (best.title, "bold"),
        (f"  {best.category}/{best.slug}", "dim"),
        "\n",
        best.summary,
        "\n",
        ("Matched: ", "dim"),
        best.matched,
    )
    console.print(Panel(head, expand=False))
    if explain:
        console.print(Text(f"Why first: {_explain(best)}", style="dim"))
    console.print(Text("Try this first", style="bold green"))
    console.print(Markdown(best.try_first))
    if best.snippet:
        console.print(Text(f"\nCode to try (kb snippet {best.slug})", style="bold green"))
        console.print(Syntax(best.snippet.rstrip(), "python", theme="ansi_dark", background_color="default"))
    if best.related:
        console.print(Text.assemble(("Related: ", "dim"), ", ".join(best.related)))
    if len(answer.results) > 1:
        console.print(Text("Also:", style="bold"))
        for i, r in enumerate(answer.results[1:], 2):
            console.print(Text(f"  {_one_line(i, r)}"))
            if explain:
                console.print(Text(f"     {_explain(r)}", style="dim"))
    console.print(Text(f"More: kb show {best.slug}", style="dim"))


@renders("page", "markdown", "text")
def page_markdown(page: Page) -> str:
    """A page as Markdown without its front matter, for `kb show` and editors."""
    lines = [f"# {page.title}", "", f"*{page.summary}*", ""]
    for name, text in page.sections.items():
        lines += [f"## {name}", "", text.strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


@renders("page", "json")
def page_json(page: Page) -> str:
    return json.dumps(page_dict(page), indent=2, ensure_ascii=False) + "\n"


@renders("page", "terminal")
def page_terminal(page: Page) -> str:
    from rich.markdown import Markdown

    console = terminal_console()
    console.print(Markdown(page_markdown(page)))
    return console.file.getvalue()


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
