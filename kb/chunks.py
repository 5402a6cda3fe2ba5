"""Pages into chunks: the pieces of text that get embedded, each a way a query can meet its page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .pages import Page

CHUNKER = 1  # bump when chunk_page changes: every page is re-embedded
KINDS = ("title", "symptom", "section")
EMBEDDED_SECTIONS = ("You see", "Try this first", "Why", "Check", "Fixes, in order")  # not "Not this?": it
# describes the look-alike pages and would pull their queries here.


@dataclass(frozen=True)
class Chunk:
    slug: str
    kind: str  # "title" | "symptom" | "section"
    label: str  # the symptom text, the section name, or the title
    text: str  # what was embedded


def plain(markdown: str) -> str:
    """Markdown to embeddable prose: links to their text, no emphasis marks or code fences."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`>#]+", "", text)
    return " ".join(text.split())


def chunk_page(page: Page) -> list[Chunk]:
    also = f" Also called: {', '.join(page.aliases)}." if page.aliases else ""
    chunks = [Chunk(page.slug, "title", page.title, f"{page.title}. {page.summary}{also}")]
    chunks += [Chunk(page.slug, "symptom", s, s) for s in page.symptoms]
    for name in EMBEDDED_SECTIONS:
        text = plain(page.sections.get(name, ""))
        if text:
            chunks.append(Chunk(page.slug, "section", name, text))
    return chunks
