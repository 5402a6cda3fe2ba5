"""The docs site's MkDocs hooks (called through kb/site/mkdocs_hooks.py): they turn the concept library into pages.

Concept pages are read from the same directories as `kb ask` (built-in, KB_CONCEPTS, .kb/concepts, and the
`--concepts` of `kb site build`, passed in the config as `extra.kb_concepts`), never copied into docs/. Generated
here: the navigation, one index page per category, the "Symptoms" index (front matter -> page), the CLI reference
(rendered by kb.site.reference from the command handed in) and the page-format reference (from CONTRIBUTING.md).
The search box is kb's own search worker (kb.site.search_bundle, kb/site/web/worker.js).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..categories import CATEGORIES
from ..categories import title as category_title
from ..errors import KbError
from ..notices import notify_stderr
from .layout import ASSET_DIR, page_uri

REPO = Path(__file__).resolve().parent.parent.parent


# --- state shared by the hooks of one build ----------------------------------------------------------------------


class SiteState:
    def __init__(self, concepts=()):
        from ..api import Engine

        self.engine = Engine(concepts, notify=notify_stderr)
        self.library = self.engine.library
        self.bundle = None

    def categories(self) -> dict[str, list]:
        grouped: dict[str, list] = {}
        for category in [*CATEGORIES, *sorted({p.category for p in self.library.pages.values()})]:
            pages = sorted((p for p in self.library.pages.values() if p.category == category), key=lambda p: p.title)
            if pages and category not in grouped:
                grouped[category] = pages
        return grouped


STATE: SiteState | None = None


def on_config(config):
    global STATE
    from .search_bundle import build_search_bundle

    # paths in mkdocs.yml are relative to the file, wherever the build was started from
    snippets = config.mdx_configs.get("pymdownx.snippets")
    if snippets is not None:
        snippets["base_path"] = [str(Path(config.config_file_path).parent)]
    STATE = SiteState([Path(c) for c in config.extra.get("kb_concepts", [])])
    if not STATE.library.pages:
        raise KbError("no concept pages found for the site (check KB_CONCEPTS)")
    config.nav = navigation(STATE, Path(config.docs_dir))
    STATE.bundle = build_search_bundle(STATE.engine, STATE.engine.settings.home / "site-build", notify=notify_stderr)
    config.extra["kb_search"] = {"dir": ASSET_DIR, "worker": STATE.bundle.worker, "shim": STATE.bundle.shim}
    return config


def navigation(state: SiteState, docs_dir: Path) -> list:
    concepts = []
    for category, pages in state.categories().items():
        concepts.append(
            {category_title(category): [f"concepts/{category}/index.md", *({p.title: page_uri(p)} for p in pages)]}
        )
    use = [{"From your editor": "editors.md"}]
    if (docs_dir / "diagnose.md").is_file():
        use.append({"Diagnose a training log": "diagnose.md"})
    if (docs_dir / "explain.md").is_file():
        use.append({"Explain a training script": "explain.md"})
    use += [
        {"Command line reference": "reference/cli.md"},
        {"Your own pages": "own-pages.md"},
        {"Page format": "reference/page-format.md"},
    ]
    return [{"Home": "index.md"}, {"Symptoms": "symptoms.md"}, {"Concepts": concepts}, {"Use kb": use}]


def on_files(files, config, cli_reference: str = "# Command line reference\n"):
    from mkdocs.structure.files import File

    for page in STATE.library.pages.values():
        files.append(File.generated(config, page_uri(page), abs_src_path=str(page.path)))
    for category, pages in STATE.categories().items():
        files.append(File.generated(config, f"concepts/{category}/index.md", content=category_index(category, pages)))
    files.append(File.generated(config, "symptoms.md", content=symptoms_index(STATE)))
    files.append(File.generated(config, "reference/cli.md", content=cli_reference))
    files.append(File.generated(config, "reference/page-format.md", content=page_format_reference()))
    for name, data in STATE.bundle.files.items():
        files.append(File.generated(config, f"{ASSET_DIR}/{name}", content=data))
    return files


def on_page_markdown(markdown, page, config, files):
    """Concept pages: title, summary and symptoms from the front matter on top; related pages at the end."""
    concept = _concept_for(page.file.src_uri)
    if concept is None:
        return markdown
    page.meta["tags"] = [category_title(concept.category)]
    symptoms = "\n".join(f"    - {escape_inline(s)}" for s in concept.symptoms)
    head = (
        f"# {concept.title}\n\n{escape_inline(concept.summary)}\n\n"
        f'??? question "What people ask when this is their problem"\n\n{symptoms}\n\n'
    )
    tail = ""
    related = [STATE.library.pages[s] for s in concept.related if s in STATE.library.pages]
    if related:
        links = "\n".join(f"- [{r.title}](../{r.category}/{r.slug}.md): {escape_inline(r.summary)}" for r in related)
        tail = f"\n\n## Related pages\n\n{links}\n"
    body = re.sub(r"\A\s*# .*\n", "", markdown)  # a page's own H1, if any, gives way to the front-matter title
    return head + body + tail


def _concept_for(src_uri: str):
    match = re.fullmatch(r"concepts/([^/]+)/([^/]+)\.md", src_uri)
    if not match or match.group(2) == "index":
        return None
    page = STATE.library.pages.get(match.group(2))
    return page if page is not None and page.category == match.group(1) else None


def on_post_build(config):
    """Material's own search (used from file://, where workers and fetch are blocked) reads its index from a
    script there; the same thing Material's offline plugin writes."""
    source = Path(config.site_dir) / "search" / "search_index.json"
    if source.is_file():
        (source.parent / "search_index.js").write_text(
            f"var __index = {source.read_text(encoding='utf-8')}", encoding="utf-8"
        )


def escape_inline(text: str) -> str:
    """Front-matter text (error messages with * _ ` < [ ...) shown literally in Markdown."""
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_\[\]{}#|!~])", r"\\\1", text)


def category_index(category: str, pages: list) -> str:
    blurb = CATEGORIES[category].blurb if category in CATEGORIES else ""
    lines = [f"# {category_title(category)}", "", blurb, ""]
    for page in pages:
        lines.append(f"- [{page.title}]({page.slug}.md): {escape_inline(page.summary)}")
    return "\n".join(lines) + "\n"


def symptoms_index(state: SiteState) -> str:
    lines = [
        "# Symptoms",
        "",
        "What you see, and the page that explains it. Scan for your symptom, or type it into the search box "
        "(it ranks pages the way `kb ask` does).",
        "",
    ]
    for category, pages in state.categories().items():
        lines += [f"## {category_title(category)}", ""]
        for page in pages:
            lines += [f"### [{page.title}](concepts/{category}/{page.slug}.md)", ""]
            lines += [f"- {escape_inline(s)}" for s in page.symptoms]
            lines.append("")
    return "\n".join(lines)


def page_format_reference() -> str:
    source = REPO / "CONTRIBUTING.md"
    if not source.is_file():
        return "# Page format\n\nSee CONTRIBUTING.md in kb's repository.\n"
    text = source.read_text(encoding="utf-8")
    return re.sub(r"\A# .*", "# Page format", text, count=1)
