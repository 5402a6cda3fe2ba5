"""`kb new`: a page skeleton that already passes the structure checks, for contributors to fill in."""

from __future__ import annotations

import json
from pathlib import Path

from .categories import CATEGORIES
from .config import project_concepts
from .errors import UsageError
from .pages import MAX_SLUG_LENGTH, SECTIONS, SLUG_RE

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
    """Write the skeleton of page `slug` under `directory`/`category`; never overwrites anything (exit 2)."""
    if not SLUG_RE.match(slug) or len(slug) > MAX_SLUG_LENGTH:
        raise UsageError(
            f"'{slug[:80]}' is not a slug: use lowercase words joined by '-' (at most {MAX_SLUG_LENGTH} "
            f"characters), e.g. loss-spikes"
        )
    if title is not None and (not title.strip() or "\n" in title or "\r" in title or len(title) > 200):
        raise UsageError("--title must be one line of at most 200 characters")
    if category not in CATEGORIES:
        raise UsageError(f"no category '{category}' (categories: {', '.join(CATEGORIES)})")
    if directory is None:
        directory = Path("concepts") if Path("concepts").is_dir() else project_concepts()
        if directory is None:
            raise UsageError("no ./concepts or .kb/concepts here; pass --dir DIR")
    path = Path(directory) / category / f"{slug}.md"
    if path.exists() or path.is_symlink():  # a dangling symlink "does not exist" but must not be written through
        raise UsageError(f"{path} already exists; kb never overwrites a page")
    sections = "\n".join(f"## {name}\n\n{SECTION_HINTS[name]}\n" for name in SECTIONS)
    # json.dumps quotes the title as a YAML double-quoted scalar: a ':' or '#' in it stays text
    text = TEMPLATE.format(title=json.dumps(title or slug.replace("-", " ").capitalize()), sections=sections)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite, even in a race
            handle.write(text)
    except FileExistsError:
        raise UsageError(f"{path} already exists; kb never overwrites a page") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
