"""Where things land in the built site: a concept page's source URI and HTML URL, and the search assets' folder."""

from __future__ import annotations

ASSET_DIR = "assets/kb"


def page_uri(page) -> str:
    """The page's path among the site's sources (mkdocs' src_uri)."""
    return f"concepts/{page.category}/{page.slug}.md"


def page_url(page) -> str:
    """Where a concept page lands in the built site (use_directory_urls is off, so file:// browsing works)."""
    return page_uri(page).removesuffix(".md") + ".html"
