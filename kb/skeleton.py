"""`kb new`: a page skeleton that already passes the structure checks, for contributors to fill in."""

from __future__ import annotations

from pathlib import Path

from .categories import CATEGORIES
from .config import project_concepts
from .errors import UsageError
from .pages import SECTIONS, SLUG_RE

TEMPLATE = """---
title: {title}
summary: One sentence - what this explains and the first thing to try.
symptoms:
  - short keywords as a user types them
  - "A sentence as someone would post it on a forum"
  - "The verbatim error message, when this page explains one"
  - another phrasing
  - another phrasing
  - another phrasing
aliases: []
related: []
sources:
  - https://example.org/the-authoritative-source
---

{sections}"""

SECTION_HINTS = {
    "You see": "What the user observes: curves, numbers, error messages.",
    "Try this first": "The first 1-3 moves, with concrete numbers and their source.",
    "Why": "The few sentences of theory that make the fix make sense.",
    "Check": "How to confirm the diagnosis in a minute; what a good and a bad value look like.",
    "Fixes, in order": "1. The cheapest, most likely fix first.\n2. ...",
    "Code to try": '```python\nimport torch\n\ntorch.manual_seed(0)\nprint("before / after")  # <- change this\n```',
    "Not this?": "- [A look-alike page](../debugging/nan-loss.md): how to tell them apart.",
    "Sources": "- [Source title, section](https://example.org/the-authoritative-source)",
}


def new_page(slug: str, category: str, directory: Path | None = None, title: str | None = None) -> Path:
    if not SLUG_RE.match(slug):
        raise UsageError(f"'{slug}' is not a slug: use lowercase words joined by '-', e.g. loss-spikes")
    if category not in CATEGORIES:
        raise UsageError(f"no category '{category}' (categories: {', '.join(CATEGORIES)})")
    if directory is None:
        directory = Path("concepts") if Path("concepts").is_dir() else project_concepts()
        if directory is None:
            raise UsageError("no ./concepts or .kb/concepts here; pass --dir DIR")
    path = Path(directory) / category / f"{slug}.md"
    if path.exists():
        raise UsageError(f"{path} already exists; kb never overwrites a page")
    sections = "\n".join(f"## {name}\n\n{SECTION_HINTS[name]}\n" for name in SECTIONS)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite, even in a race
        handle.write(TEMPLATE.format(title=title or slug.replace("-", " ").capitalize(), sections=sections))
    return path
