"""A page's Markdown made readable where it is shown: links that lead somewhere from a terminal or an editor (a
page's relative link becomes `kb show SLUG`, or its URL on the docs site when KB_SITE_URL is set), and plain text
without `**` marks for pipes."""

from __future__ import annotations

import os
import re

LINK_RE = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
PAGE_TARGET_RE = re.compile(r"^(?:\.\./|\./)?(?:([a-z0-9-]+)/)?([a-z0-9-]+)\.md(?:#[\w-]*)?$")
# Emphasis may wrap onto the next line of a paragraph (`**double the width\n   or depth**`), never across a blank line.
_INLINE = r"(?:[^\n]|\n(?![ \t]*\n))"
STRONG_RE = re.compile(rf"\*\*(?=\S)({_INLINE}+?)(?<=\S)\*\*|__(?=\S)({_INLINE}+?)(?<=\S)__")
CODE_SPAN_RE = re.compile(r"(`+)[^`\n]+?\1")
EMPHASIS_RE = re.compile(r"(?<![\w*])\*(?=\S)((?:[^*\n]|\n(?![ \t]*\n))+?)(?<=\S)\*(?![\w*])")


def site_url() -> str | None:
    """KB_SITE_URL, where the docs site is published (e.g. https://kb.example.org), or None."""
    url = os.environ.get("KB_SITE_URL", "").strip().rstrip("/")
    return url or None


def page_link(category: str | None, slug: str, url: str | None = None) -> str:
    """Where a reader of a terminal or an editor can open a page."""
    if url and category:
        return f"{url}/concepts/{category}/{slug}.html"
    return f"kb show {slug}"


def resolve_links(markdown: str, category: str, url: str | None = None, as_text: bool = False) -> str:
    """Links between pages (`../debugging/nan-loss.md`) made to lead somewhere: `text (kb show nan-loss)`, or a link
    to the page on the site when `url` is set. `as_text` writes every link as `text (where)`, for a pipe."""

    def rewrite(match: re.Match) -> str:
        text, target = match.groups()
        page = PAGE_TARGET_RE.match(target)
        if page and not target.startswith(("http://", "https://")):
            where = page_link(page.group(1) or category, page.group(2), url)
            return f"[{text}]({where})" if url and not as_text else f"{text} ({where})"
        if as_text:
            return f"{text} ({target})" if text != target else text
        return match.group(0)

    return LINK_RE.sub(rewrite, markdown)


def plain(markdown: str, category: str, url: str | None = None) -> str:
    """Markdown as plain text for a pipe: links resolved (`text (kb show slug)`, `text (https://...)`), no `**` or
    `*` emphasis marks; code spans keep their backticks (they say what is code)."""
    text = resolve_links(markdown, category, url, as_text=True)
    # Code spans (`T**2`, `a*b`) are code, not emphasis: each one stands in as a placeholder while marks are removed.
    spans: list[str] = []

    def hold(match: re.Match) -> str:
        spans.append(match.group(0))
        return f"\0{len(spans) - 1}\0"

    text = CODE_SPAN_RE.sub(hold, text)
    text = STRONG_RE.sub(lambda m: m.group(1) or m.group(2), text)
    text = EMPHASIS_RE.sub(r"\1", text)
    return re.sub(r"\0(\d+)\0", lambda m: spans[int(m.group(1))], text)
