"""The docs site: MkDocs hooks (loaded through kb/mkdocs_hooks.py) that turn the concept library into pages.

Concept pages are read from the same directories as `kb ask` (built-in, KB_CONCEPTS, .kb/concepts), never copied
into docs/. Generated here: the navigation, one index page per category, the "Symptoms" index (front matter ->
page), the CLI reference (from the typer app itself) and the page-format reference (from CONTRIBUTING.md).
The search box is kb's own search worker (kb/site_search.py, kb/web/worker.js).
"""
from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path

from .errors import KbError, UsageError

REPO = Path(__file__).resolve().parent.parent
CATEGORY_TITLES = {"optimization": "Optimization", "generalization": "Generalization", "data": "Data",
                   "tabular": "Tabular models", "evaluation": "Evaluation", "debugging": "Debugging"}
CATEGORY_BLURBS = {
    "optimization": "The learning rate, the optimizer, the batch and the schedule: loss that will not go down, "
                    "goes down too slowly, or blows up.",
    "generalization": "Training looks fine but validation does not: overfitting, underfitting, regularization, "
                      "fine-tuning.",
    "data": "Splits, leakage, imbalance, normalization, shuffling: problems that live in the data pipeline.",
    "tabular": "Gradient boosting, categorical features, missing values.",
    "evaluation": "Metrics, curves, baselines and calibration: reading what the model is telling you.",
    "debugging": "Errors, NaNs, out-of-memory, shapes and devices, and models that silently do nothing.",
}


def category_title(category: str) -> str:
    return CATEGORY_TITLES.get(category, category.replace("-", " ").capitalize())


def page_uri(page) -> str:
    return f"concepts/{page.category}/{page.slug}.md"


# --- state shared by the hooks of one build ----------------------------------------------------------------------

class SiteState:
    def __init__(self):
        from .api import Engine
        from .index import notify_stderr

        self.engine = Engine(notify=notify_stderr)
        self.library = self.engine.library
        self.bundle = None

    def categories(self) -> dict[str, list]:
        grouped: dict[str, list] = {}
        for category in [*CATEGORY_TITLES, *sorted({p.category for p in self.library.pages.values()})]:
            pages = sorted((p for p in self.library.pages.values() if p.category == category), key=lambda p: p.title)
            if pages and category not in grouped:
                grouped[category] = pages
        return grouped


STATE: SiteState | None = None


def on_config(config):
    global STATE
    from .config import kb_home
    from .index import notify_stderr
    from .site_search import ASSET_DIR, build_search_bundle

    # paths in mkdocs.yml are relative to the file, wherever the build was started from
    snippets = config.mdx_configs.get("pymdownx.snippets")
    if snippets is not None:
        snippets["base_path"] = [str(Path(config.config_file_path).parent)]
    STATE = SiteState()
    if not STATE.library.pages:
        raise KbError("no concept pages found for the site (check KB_CONCEPTS)")
    config.nav = navigation(STATE, Path(config.docs_dir))
    STATE.bundle = build_search_bundle(STATE.engine, kb_home() / "site-build", notify=notify_stderr)
    config.extra["kb_search"] = {"dir": ASSET_DIR, "worker": STATE.bundle.worker, "shim": STATE.bundle.shim}
    return config


def navigation(state: SiteState, docs_dir: Path) -> list:
    concepts = []
    for category, pages in state.categories().items():
        concepts.append({category_title(category): [f"concepts/{category}/index.md",
                                                    *({p.title: page_uri(p)} for p in pages)]})
    use = [{"From your editor": "editors.md"}]
    if (docs_dir / "diagnose.md").is_file():
        use.append({"Diagnose a training log": "diagnose.md"})
    use += [{"Command line reference": "reference/cli.md"}, {"Your own pages": "own-pages.md"},
            {"Page format": "reference/page-format.md"}]
    return [{"Home": "index.md"}, {"Symptoms": "symptoms.md"}, {"Concepts": concepts}, {"Use kb": use}]


def on_files(files, config):
    from mkdocs.structure.files import File

    from .site_search import ASSET_DIR

    for page in STATE.library.pages.values():
        files.append(File.generated(config, page_uri(page), abs_src_path=str(page.path)))
    for category, pages in STATE.categories().items():
        files.append(File.generated(config, f"concepts/{category}/index.md", content=category_index(category, pages)))
    files.append(File.generated(config, "symptoms.md", content=symptoms_index(STATE)))
    files.append(File.generated(config, "reference/cli.md", content=cli_reference()))
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
    head = (f"# {concept.title}\n\n{escape_inline(concept.summary)}\n\n"
            f'??? question "What people ask when this is their problem"\n\n{symptoms}\n\n')
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
        (source.parent / "search_index.js").write_text(f"var __index = {source.read_text(encoding='utf-8')}",
                                                        encoding="utf-8")


# --- generated pages ---------------------------------------------------------------------------------------------

def escape_inline(text: str) -> str:
    """Front-matter text (error messages with * _ ` < [ ...) shown literally in Markdown."""
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_\[\]{}#|!~])", r"\\\1", text)


def category_index(category: str, pages: list) -> str:
    lines = [f"# {category_title(category)}", "", CATEGORY_BLURBS.get(category, ""), ""]
    for page in pages:
        lines.append(f"- [{page.title}]({page.slug}.md): {escape_inline(page.summary)}")
    return "\n".join(lines) + "\n"


def symptoms_index(state: SiteState) -> str:
    lines = ["# Symptoms", "",
             "What you see, and the page that explains it. Scan for your symptom, or type it into the search box "
             "(it ranks pages the way `kb ask` does).", ""]
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


def cli_reference() -> str:
    """Markdown reference of every `kb` command and option, read from the typer app (so it cannot drift).
    Click objects are read by duck typing: typer may carry its own copy of click."""
    import typer.main

    from .cli import app

    group = typer.main.get_command(app)
    lines = ["# Command line reference", "",
             "Generated from the `kb` command itself (`kb COMMAND --help` prints the same).", "",
             "```text", "kb [--version] COMMAND [ARGS]...", "```", ""]
    for name, command in group.commands.items():
        if not command.hidden:
            lines += _command_reference(f"kb {name}", command)
    return "\n".join(lines)


def _command_reference(path: str, command) -> list[str]:
    params = [p for p in command.params if not getattr(p, "hidden", False)]
    pieces = ["[OPTIONS]"] if any(p.param_type_name == "option" for p in params) else []
    for param in params:
        if param.param_type_name == "argument":
            name = param.name.upper() + ("..." if param.nargs == -1 else "")
            pieces.append(name if param.required else f"[{name}]")
    subcommands = getattr(command, "commands", None)
    if subcommands:
        pieces.append("COMMAND [ARGS]...")
    lines = [f"## `{path}`", "", (command.help or "").strip().split("\n\n")[0], "",
             "```text", f"{path} {' '.join(pieces)}".rstrip(), "```", ""]
    rows = []
    for param in params:
        if param.param_type_name == "argument":
            name = f"`{param.name.upper()}`"
        else:
            name = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        help_text = " ".join((getattr(param, "help", None) or "").split())
        default = getattr(param.default, "value", param.default)
        if (param.param_type_name == "option" and not param.is_flag and default not in (None, (), [], False)
                and "default" not in help_text):
            help_text += f" (default: `{default}`)"
        rows.append(f"| {name} | {help_text.replace('|', '&#124;')} |")
    if rows:
        lines += ["| argument / option | meaning |", "| --- | --- |", *rows, ""]
    for name, sub in (subcommands or {}).items():
        lines += _command_reference(f"{path} {name}", sub)
    return lines


# --- `kb site build` ---------------------------------------------------------------------------------------------

def find_config(start: Path | None = None) -> Path:
    for folder in [Path(start or Path.cwd()).resolve(), *Path(start or Path.cwd()).resolve().parents, REPO]:
        candidate = folder / "mkdocs.yml"
        if candidate.is_file() and "kb/mkdocs_hooks.py" in candidate.read_text(encoding="utf-8"):
            return candidate
    raise UsageError("no kb mkdocs.yml found here or in kb's source tree (the site is built from a kb checkout)")


def build_site(site_dir: Path | None = None, config_file: Path | None = None, strict: bool = True) -> Path:
    """`mkdocs build --strict` with kb's configuration; returns the site directory."""
    import logging

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material's banner about its successor, on every build
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    config_file = Path(config_file) if config_file else find_config()
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="kb site: %(message)s")
    try:
        config = load_config(str(config_file), site_dir=str(Path(site_dir).resolve()) if site_dir else None,
                             strict=strict)
        build(config)
    except KbError:
        raise
    except (Abort, ConfigurationError) as exc:
        raise KbError(f"site build failed: {exc}") from None
    except Exception as exc:  # a Markdown extension's error about a page: one line, not a traceback
        raise KbError(f"site build failed: {type(exc).__name__}: {exc}") from None
    return Path(config.site_dir)
