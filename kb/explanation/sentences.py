"""One sentence from a page on what changing a knob does, taken verbatim from the page.

The rule: the first sentence, reading the summary and then the sections "Why", "Try this first" and "Fixes, in
order", that names the knob (one of its kind's words, e.g. "momentum" on the SGD page, "beta1" on the Adam page);
when none does (or the kind has no words: the page is all about it), the first sentence of the summary. Markdown
links read as their text; nothing else is changed.
"""

from __future__ import annotations

import re

LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
LIST_MARKER = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")
BLOCK_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*]|\d+\.)\s)")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`(\"'])")
ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "Sec.", "App.", "Fig.", "al.", "etc.", "approx.", "cf.", "Eq.", "No.")
SECTIONS = ("Why", "Try this first", "Fixes, in order")


def sentences(markdown: str) -> list[str]:
    """Markdown prose as sentences: paragraphs and list items split apart, code blocks left out."""
    text = re.sub(r"```.*?```", "\n\n", markdown or "", flags=re.DOTALL)
    found = []
    for block in BLOCK_BREAK.split(LINK.sub(r"\1", text)):
        block = " ".join(LIST_MARKER.sub("", block).split())
        current = ""
        for piece in SENTENCE_END.split(block):
            current = f"{current} {piece}" if current else piece
            if not current.endswith(ABBREVIATIONS):
                found.append(current)
                current = ""
        if current:
            found.append(current)
    return [s for s in found if len(s.split()) >= 4]


def sentence_for(page, words: tuple[str, ...]) -> str | None:
    """The first sentence of `page` naming one of `words` (case-insensitive), else the summary's first."""
    summary = sentences(page.summary)
    candidates = summary + [s for name in SECTIONS for s in sentences(page.sections.get(name, ""))]
    for sentence in candidates:
        lowered = sentence.lower()
        if any(word.lower() in lowered for word in words):
            return sentence
    return summary[0] if summary else None
