"""An `Explanation` as plain text, Markdown or JSON (registered in kb.formats).

Text and Markdown have a fixed layout, so piped output and editor buffers never depend on the terminal. A page's
sentence is printed with the first knob of its kind; later knobs of that kind name the page only.
"""

from __future__ import annotations

import json
import textwrap

from ..formats import renders
from ..shapes import explanation_json
from .findings import Explanation, Knob, Mistake

FRAMEWORK_NAMES = {
    "pytorch": "PyTorch",
    "keras": "Keras",
    "hf": "Hugging Face",
    "lightning": "Lightning",
    "sklearn": "scikit-learn",
}
WIDTH = 118  # sentences wrap here: a fixed layout, whatever the terminal
NO_KNOBS = (
    "No knobs found. kb explain reads training code written with PyTorch, Keras / TensorFlow, the Hugging Face "
    "Trainer, Lightning and scikit-learn."
)


def where(cell: int | None, line: int) -> str:
    return f"line {line}" if cell is None else f"cell {cell} line {line}"


def shown_value(knob: Knob) -> str:
    if knob.resolved is None or knob.resolved == knob.value:
        return knob.value
    return f"{knob.value} = {knob.resolved} ({knob.resolved_from})"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def headline(explanation: Explanation) -> str:
    frameworks = ", ".join(FRAMEWORK_NAMES.get(f, f) for f in explanation.frameworks) or "Python"
    minor = len(explanation.minor_points)
    return (
        f"{explanation.name}: {frameworks} {explanation.kind}, {_plural(len(explanation.knobs), 'knob')}, "
        f"{_plural(len(explanation.likely_mistakes), 'likely mistake')}"
        + (f", {_plural(minor, 'minor point')}" if minor else "")
    )


def start_line(explanation: Explanation) -> str:
    """'Where to start: the learning rate (line 101, args.lr = 0.01), then momentum (line 101, ...), then ...'."""
    if not explanation.start:
        return ""
    parts = []
    for knob in explanation.start:
        value = knob.value if knob.resolved is None else f"{knob.value} = {knob.resolved}"
        if knob.kind == "optimizer":
            parts.append(f"the learning rate ({knob.value} on {where(knob.cell, knob.line)} uses its default)")
        else:
            parts.append(f"the {knob.label} ({where(knob.cell, knob.line)}, {value})")
    return "Where to start: " + ", then ".join(parts) + "."


def _page_ref(explanation: Explanation, slug: str | None) -> str:
    page = explanation.pages.get(slug) if slug else None
    return f"{page.category}/{slug}" if page is not None else (slug or "")


def _mistake_lines(number: int, mistake: Mistake, explanation: Explanation) -> list[str]:
    pad = "    "
    lines = [f"{number}. {where(mistake.cell, mistake.line)}: {mistake.title}  [{mistake.id}]"]
    for paragraph in (mistake.evidence + ".", f"Why: {mistake.why}."):
        lines += textwrap.wrap(paragraph, WIDTH, initial_indent=pad, subsequent_indent=pad)
    if mistake.slug:
        lines.append(f"{pad}Page: {_page_ref(explanation, mistake.slug)} (kb show {mistake.slug})")
    return lines


@renders("explanation", "text", "terminal")
def explanation_text(explanation: Explanation) -> str:
    lines = [headline(explanation)]
    lines += [f"note: {note}" for note in explanation.notes]
    lines.append("")
    if explanation.knobs:
        lines += ["Knobs, in the order the code uses them:", ""]
        width = max(len(where(k.cell, k.line)) for k in explanation.knobs)
        label_width = max(len(k.label) for k in explanation.knobs)
        explained: set[tuple[str, str | None]] = set()
        for knob in explanation.knobs:
            page = f"  [{knob.slug}]" if knob.slug else ""
            place = f"{where(knob.cell, knob.line):<{width}}  {knob.label:<{label_width}}"
            lines.append(f"  {place}  {shown_value(knob)}{page}")
            if knob.sentence and (knob.kind, knob.slug) not in explained:
                explained.add((knob.kind, knob.slug))
                pad = " " * (width + label_width + 6)
                lines += textwrap.wrap(knob.sentence, WIDTH, initial_indent=pad, subsequent_indent=pad)
        lines.append("")
    else:
        lines += [NO_KNOBS, ""]
    if explanation.likely_mistakes:
        lines += ["Likely mistakes:", ""]
        for number, mistake in enumerate(explanation.likely_mistakes, 1):
            lines += _mistake_lines(number, mistake, explanation) + [""]
    else:
        lines += ["No likely mistakes found.", ""]
    if explanation.minor_points:
        lines += ["Minor points (worth a look: little is lost as it is, or kb cannot see enough to be sure):", ""]
        for number, mistake in enumerate(explanation.minor_points, 1):
            lines += _mistake_lines(number, mistake, explanation) + [""]
    if explanation.start:
        lines.append(start_line(explanation))
    return "\n".join(lines).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown_mistakes(mistakes: list[Mistake]) -> list[str]:
    lines = []
    for number, mistake in enumerate(mistakes, 1):
        page = f" Page: `{mistake.slug}`." if mistake.slug else ""
        lines += [
            f"{number}. **{where(mistake.cell, mistake.line)}: {mistake.title}** (`{mistake.id}`)  ",
            f"   {mistake.evidence}. Why: {mistake.why}.{page}",
            "",
        ]
    return lines


@renders("explanation", "markdown")
def explanation_markdown(explanation: Explanation) -> str:
    lines = [f"## kb explain: {explanation.name}", "", f"*{headline(explanation)}*", ""]
    lines += [f"> note: {note}" for note in explanation.notes]
    if explanation.notes:
        lines.append("")
    if explanation.knobs:
        lines += ["### Knobs", "", "| where | knob | value | page |", "| --- | --- | --- | --- |"]
        for knob in explanation.knobs:
            value = _cell(shown_value(knob))
            page = f"`{knob.slug}`" if knob.slug else ""
            lines.append(f"| {where(knob.cell, knob.line)} | {knob.label} | `{value}` | {page} |")
        lines.append("")
        explained = {}
        for knob in explanation.knobs:
            if knob.sentence:
                explained.setdefault((knob.label, knob.slug), knob.sentence)
        if explained:
            lines += ["What changing them does:", ""]
            lines += [f"- **{label}** (`{slug}`): {sentence}" for (label, slug), sentence in explained.items()]
            lines.append("")
    else:
        lines += [NO_KNOBS, ""]
    lines += ["### Likely mistakes", ""]
    if not explanation.likely_mistakes:
        lines += ["None found.", ""]
    lines += _markdown_mistakes(explanation.likely_mistakes)
    if explanation.minor_points:
        lines += ["### Minor points", ""] + _markdown_mistakes(explanation.minor_points)
    if explanation.start:
        lines += ["### Where to start", "", start_line(explanation).removeprefix("Where to start: "), ""]
    return "\n".join(lines).rstrip() + "\n"


@renders("explanation", "json")
def explanation_json_text(explanation: Explanation) -> str:
    return json.dumps(explanation_json(explanation), indent=2, ensure_ascii=False) + "\n"
