"""The Python API under the CLI: `Engine` keeps the library, model and index loaded for warm queries."""
from __future__ import annotations

import difflib
from pathlib import Path

from .config import Settings, settings
from .errors import KbError, PageNotFound, UsageError
from .index import BuildStats, Index, Notify, Progress, ensure_index, index_path, notify_stderr
from .pages import CATEGORIES, Library, Page, load_library
from .query import prepare
from .search import Answer, Searcher


class Engine:
    """Pages from the built-in library, KB_CONCEPTS, a project's `.kb/concepts/` and `concepts` dirs.

    Broken pages are reported through `notify` as `file:line: problem` and skipped; the rest still answer.
    """

    def __init__(self, concepts: list[Path] | tuple[Path, ...] = (), notify: Notify = notify_stderr,
                 progress: Progress | None = None, builtin: bool = True):
        for directory in concepts:
            if not Path(directory).is_dir():
                raise UsageError(f"--concepts {directory}: no such directory")
        self.settings: Settings = settings(concepts, builtin=builtin)
        self.notify = notify
        self.progress = progress
        self.library: Library = load_library([(d, o) for d, o in self.settings.concept_dirs if d.is_dir()])
        for problem in self.library.problems:
            if problem.fatal:
                notify(f"{problem}; page skipped")
        self._embedder = None
        self._index: Index | None = None
        self._searcher: Searcher | None = None

    @property
    def embedder(self):
        if self._embedder is None:
            from .model import Embedder

            self._embedder = Embedder(self.settings.model, self.settings.home, self.notify)
        return self._embedder

    @property
    def index_file(self) -> Path:
        return index_path(self.settings.home, self.settings.model, self.settings.concept_dirs)

    def build_index(self, force: bool = False) -> BuildStats | None:
        """Build or update the index now; None when it was already fresh."""
        if not len(self.library):
            raise KbError("no concept pages found (check --concepts / KB_CONCEPTS)")
        self._index, stats = ensure_index(self.library, self.embedder, self.index_file, force=force,
                                          notify=self.notify, progress=self.progress)
        self._searcher = None
        return stats

    @property
    def searcher(self) -> Searcher:
        if self._searcher is None:
            if self._index is None:
                self.build_index()
            self._searcher = Searcher(self.library, self._index, self.embedder)
        return self._searcher

    def ask(self, query: str, k: int = 3, mode: str = "fused") -> Answer:
        if not isinstance(query, str) or not query.strip():
            raise UsageError("empty query: give a question, an error message, or pipe text on stdin")
        if k < 1:
            raise UsageError(f"--top must be at least 1 (got {k})")
        return self.searcher.search(query, prepare(query), k=k, mode=mode)

    def page(self, slug: str) -> Page:
        slug = slug.strip().removesuffix(".md").split("/")[-1]
        if slug in self.library.pages:
            return self.library.pages[slug]
        by_title = {p.title.lower(): p.slug for p in self.library}
        close = difflib.get_close_matches(slug, list(self.library.pages), n=3, cutoff=0.5)
        close += [by_title[t] for t in difflib.get_close_matches(slug.lower(), list(by_title), n=2, cutoff=0.5)
                  if by_title[t] not in close]
        hint = f"; did you mean {', '.join(close[:3])}?" if close else "; run `kb list` to see every page"
        raise PageNotFound(f"no page '{slug}'{hint}")

    def pages(self, category: str | None = None) -> list[Page]:
        if category is not None and category not in CATEGORIES:
            raise UsageError(f"no category '{category}' (categories: {', '.join(CATEGORIES)})")
        return sorted((p for p in self.library if category in (None, p.category)), key=lambda p: (p.category, p.slug))


_default: Engine | None = None


def default_engine() -> Engine:
    global _default
    if _default is None:
        _default = Engine()
    return _default


def ask(query: str, k: int = 3, concepts: list[Path] | tuple[Path, ...] = ()) -> Answer:
    """Rank concept pages for a question, error message or log. `kb.ask("loss is nan").best.slug`."""
    engine = Engine(concepts) if concepts else default_engine()
    return engine.ask(query, k=k)


def show(slug: str) -> Page:
    return default_engine().page(slug)


def list_pages(category: str | None = None) -> list[Page]:
    return default_engine().pages(category)
