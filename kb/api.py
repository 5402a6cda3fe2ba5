"""The Python API under the CLI: `Engine` keeps the library, model and index loaded for warm queries."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from .categories import CATEGORIES
from .config import Settings, settings
from .errors import KbError, PageNotFound, UsageError
from .index import Index
from .indexing import BuildStats, ensure_index, index_path, load_current, scan_files
from .notices import Notify, Progress, notify_stderr
from .pages import Library, Page, PagesOnDemand, load_library, page_files, parse_page
from .query import as_text, make_query
from .search import Answer, Searcher

# A log that ends in a crash asks about the crash: a traceback or an "XxxError:" line keeps the search's answer.
CRASH_RE = re.compile(r"^\s*(?:Traceback \(most recent call last\)|(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception)\b:)", re.M)


class Engine:
    """Pages from the built-in library, KB_CONCEPTS, a project's `.kb/concepts/` and `concepts` dirs.

    Broken pages are reported through `notify` as `file:line: problem` and skipped; the rest still answer.
    """

    def __init__(
        self,
        concepts: list[Path] | tuple[Path, ...] = (),
        notify: Notify = notify_stderr,
        progress: Progress | None = None,
        builtin: bool = True,
        home: Path | None = None,
        embedder=None,
    ):
        """`home` (default KB_HOME, else the user cache) holds the index and the model export; `embedder` replaces
        the model (anything with `name`, `dim` and `encode(texts) -> unit float32 rows`, e.g. in tests)."""
        for directory in concepts:
            if not Path(directory).is_dir():
                raise UsageError(f"--concepts {directory}: no such directory")
        self.settings: Settings = settings(concepts, builtin=builtin, home=home, model=getattr(embedder, "name", None))
        self.notify = notify
        self.progress = progress
        self._library: Library | None = None
        self._files: list | None = None  # the page files' stamps, taken just before the library was parsed
        self._pages_read: dict[str, Page] = {}
        self._pages_on_demand: PagesOnDemand | None = None
        self._problems_reported = False
        self._embedder = embedder
        self._overrides_announced = False
        self._index: Index | None = None
        self._searcher: Searcher | None = None

    @property
    def concept_dirs(self) -> list[tuple[Path, str]]:
        return [(d, o) for d, o in self.settings.concept_dirs if d.is_dir()]

    def overrides(self) -> dict[str, Path]:
        """slug -> the page file that replaces a built-in page of that slug (from file names: nothing is parsed)."""
        dirs = self.concept_dirs
        builtin = {p.stem for d, origin in dirs if origin == "built-in" for p in page_files(d)}
        return {p.stem: p for d, origin in dirs if origin != "built-in" for p in page_files(d) if p.stem in builtin}

    def _announce_overrides(self) -> None:
        """Name each page that shadows a built-in one, once per (slug, file): `kb snippet nan-loss | python` in a
        project with its own nan-loss page runs that project's code, and the user must know."""
        if self._overrides_announced:
            return
        self._overrides_announced = True
        found = self.overrides()
        if not found:
            return
        record = self.settings.home / "overrides-seen.json"
        try:
            seen = set(json.loads(record.read_text()))
        except (OSError, ValueError, TypeError):
            seen = set()
        new = {f"{slug}|{path}" for slug, path in found.items()} - seen
        for key in sorted(new):
            slug, path = key.split("|", 1)
            self.notify(f"using {path} instead of the built-in page {slug}")
        if new:
            try:
                record.parent.mkdir(parents=True, exist_ok=True)
                record.write_text(json.dumps(sorted(seen | new)))
            except OSError:
                pass  # then it is said again next time, which is the safe side

    @property
    def library(self) -> Library:
        """Every page, parsed on first use (a query answered from a fresh index parses only the pages it prints)."""
        if self._library is None:
            self._files = scan_files(self.concept_dirs)
            self._library = load_library(self.concept_dirs)
            self._report_problems([str(p) for p in self._library.problems if p.fatal])
        return self._library

    @property
    def named_pages(self) -> Mapping[str, Page]:
        """Pages by slug for the commands that name a few of them (explain, diagnose): the parsed library when it
        is loaded already, else each page parsed when first named."""
        if self._library is not None:
            return self._library.pages
        if self._pages_on_demand is None:
            self._pages_on_demand = PagesOnDemand(self.concept_dirs, lambda p: self.notify(f"{p}; page skipped"))
        return self._pages_on_demand

    def _report_problems(self, problems: list[str]) -> None:
        if not self._problems_reported:
            self._problems_reported = True
            for problem in problems:
                self.notify(f"{problem}; page skipped")

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
        """Build or update the index now; None when it was already fresh. `force` re-embeds every page (and
        retries a model export that failed before)."""
        if not len(self.library):
            raise KbError("no concept pages found (check --concepts / KB_CONCEPTS)")
        if force and hasattr(self.embedder, "retry_export"):
            self.embedder.retry_export()
        self._index, stats = ensure_index(
            self.library,
            self.embedder,
            self.index_file,
            force=force,
            notify=self.notify,
            progress=self.progress,
            files=self._files,
            concept_dirs=[str(d.resolve()) for d, _ in self.concept_dirs],
        )
        self._searcher = None
        if stats is not None or force:  # housekeeping rides on builds, which are rare: never on a plain query
            from .cache import prune

            prune(self.settings.home, keep={self.index_file})
        return stats

    @property
    def searcher(self) -> Searcher:
        if self._searcher is None:
            if self._index is None and self._library is None:
                # The fast path: an index built from exactly these page files (paths, mtimes, sizes) is used
                # without parsing any page; anything else goes through build_index, which parses and compares.
                model_id = getattr(self.embedder, "identity", self.embedder.name)  # a JSON read, not a model load
                self._index = load_current(
                    self.index_file, self.settings.model, scan_files(self.concept_dirs), model_id
                )
                if self._index is not None:
                    self._report_problems(self._index.problems)
            if self._index is None:
                self.build_index()
            self._searcher = Searcher(self._index, self.embedder, self._page_of)
            self._announce_overrides()
        return self._searcher

    def _page_of(self, slug: str) -> Page | None:
        """A result's page: from the parsed library, else parsed from the file the fresh index names; None when
        the page is gone (moved or deleted while kb was answering): the search then skips it."""
        if self._library is not None:
            return self._library.pages.get(slug)
        if slug not in self._pages_read:
            index = self._index
            path = Path(index.page_paths[index.page_row[slug]])
            origin = next((o for d, o in self.concept_dirs if path.parent.parent == d), "built-in")
            page, _ = parse_page(path, origin)
            if page is None:  # changed since the stamps were checked: fall back to the whole library
                return self.library.pages.get(slug)
            self._pages_read[slug] = page
        return self._pages_read[slug]

    def ask(self, query: str, k: int = 3, mode: str = "calibrated") -> Answer:
        if not isinstance(query, str) or not query.strip():
            raise UsageError("empty query: give a question, an error message, or pipe text on stdin")
        query = as_text(query)
        if k < 1:
            raise UsageError(f"--top must be at least 1 (got {k})")
        searcher = self.searcher
        reading = self.log_reading(query)
        first = reading.findings[0] if reading is not None and reading.findings else None
        slug = next((s for s in first.slugs if s in searcher.index.page_row), None) if first else None
        answer = searcher.search(make_query(query, searcher.index.spelling), k=k, mode=mode, first=slug)
        if slug is None:
            return answer
        # a training log gets the reading `kb diagnose` gives it: the page for its main finding comes first
        pinned = replace(answer.results[0], matched=f"kb diagnose: {first.title}", matched_kind="diagnosis")
        return replace(answer, confident=True, results=[pinned, *answer.results[1:]])

    def log_reading(self, text: str):
        """The diagnosis of a text that is a training log (`kb ask < log.csv`, `python train.py 2>&1 | kb ask`),
        else None. A traceback in it is the question instead: the search answers that."""
        if CRASH_RE.search(text):
            return None
        from .diagnosis import diagnose_text

        try:
            reading = diagnose_text(text)
        except KbError:  # not a log kb can read: the search alone answers
            return None
        points = max(len(reading.log.train or ()), len(reading.log.val or ()))
        return reading if points >= 3 else None  # a curve, not a question that quotes a number or two

    def diagnose(self, log: str | Path, train: str | None = None, val: str | None = None, classes: int | None = None):
        """Diagnose a training log (kb.diagnosis), naming this engine's pages."""
        from .diagnosis import diagnose_file

        return diagnose_file(log, train=train, val=val, classes=classes, pages=self.named_pages)

    def explain(self, path: str | Path, name: str | None = None):
        """Explain a training script or notebook (kb.explanation), naming this engine's pages; "-" reads stdin."""
        from .explanation import explain_file

        return explain_file(path, pages=self.named_pages, name=name)

    def explain_text(self, code: str, name: str = "<code>"):
        """Explain code given as text (an editor buffer, an agent's paste); a notebook's JSON is recognised."""
        from .explanation import explain_text

        return explain_text(code, pages=self.named_pages, name=name)

    def page(self, slug: str) -> Page:
        slug = slug.strip().removesuffix(".md").split("/")[-1]
        if slug in self.library.pages:
            self._announce_overrides()
            return self.library.pages[slug]
        import difflib

        by_title = {p.title.lower(): p.slug for p in self.library}
        close = []
        if len(slug) <= 100:  # beyond that it is no mistyped slug, and difflib's cost grows with its length
            close = difflib.get_close_matches(slug, list(self.library.pages), n=3, cutoff=0.5)
            close += [
                by_title[t]
                for t in difflib.get_close_matches(slug.lower(), list(by_title), n=2, cutoff=0.5)
                if by_title[t] not in close
            ]
        hint = f"; did you mean {', '.join(close[:3])}?" if close else "; run `kb list` to see every page"
        shown = slug if len(slug) <= 80 else slug[:77] + "..."  # a 2 MB argument is not echoed back
        raise PageNotFound(f"no page '{shown}'{hint}")

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


def diagnose(path, train=None, val=None, classes=None, concepts=()):
    """Diagnose a training log: `kb.diagnose("metrics.csv").findings[0].title` (see kb.diagnosis)."""
    engine = Engine(concepts) if concepts else default_engine()
    return engine.diagnose(path, train=train, val=val, classes=classes)


def explain(path, concepts=()):
    """Explain a training script or notebook: `kb.explain("train.py").knobs[0].label` (see kb.explanation)."""
    engine = Engine(concepts) if concepts else default_engine()
    return engine.explain(path)
