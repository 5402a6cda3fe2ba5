"""Stage 1: read concept pages (Markdown + YAML front matter) into typed `Page` objects.

Parsing never raises for a bad page: problems come back as `Problem`s (file:line: message) so one broken
page cannot take the others down. `kb check` turns the same problems into a lint report. What a page says reaches
terminals, so control characters are removed from it on the way in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .categories import CATEGORIES
from .terminal import without_controls

SECTIONS = (
    "You see",
    "Try this first",
    "Why",
    "Check",
    "Fixes, in order",
    "Code to try",
    "Not this?",
    "Sources",
)
REQUIRED_FIELDS = ("title", "summary", "symptoms", "aliases")
MIN_SYMPTOMS = 6
PROSE_WORDS = (150, 600)  # the target is 250-450; outside this band a page is no longer "one screen"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A link to another page: "../category/slug.md" or "slug.md" (same folder), as mkdocs resolves them.
PAGE_LINK_RE = re.compile(r"\]\((?:\.\./([a-z0-9-]+)/)?([a-z0-9-]+)\.md(?:#[^)]*)?\)")
FENCE_RE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
MAX_PAGE_BYTES = 256 * 1024  # pages are one screen (~5 KB); a bigger file is not a page, and must not cost GBs
MAX_SLUG_LENGTH = 80


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    fatal: bool = True  # a fatal problem keeps the page out of the index

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Page:
    slug: str
    category: str
    title: str
    summary: str
    symptoms: tuple[str, ...]
    aliases: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[str, ...]
    sections: dict[str, str]  # section title -> Markdown text, in page order
    snippet: str
    path: Path
    origin: str  # "built-in" or the concepts directory the page came from
    content_hash: str
    section_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def try_first(self) -> str:
        return self.sections.get("Try this first", "")

    @property
    def ref(self) -> str:
        return f"{self.category}/{self.slug}"


@dataclass
class Library:
    """All pages that parsed, by slug, plus every problem found on the way."""

    pages: dict[str, Page]
    problems: list[Problem]

    def __iter__(self):
        return iter(self.pages.values())

    def __len__(self) -> int:
        return len(self.pages)


def builtin_concepts_dir() -> Path:
    """The concepts shipped with kb: inside the package when installed, else the repo's `concepts/`."""
    packaged = Path(__file__).parent / "concepts"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "concepts"


def _line_of(text: str, pattern: str, default: int = 1) -> int:
    match = re.search(pattern, text, flags=re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else default


def _split_sections(body: str, first_line: int) -> tuple[list[tuple[str, int, str]], list[tuple[int, str, str]]]:
    """Split the body on `## ` headings outside code fences.

    Returns [(title, line, text)] and every fenced block as [(line, language, code)].
    """
    sections: list[tuple[str, int, list[str]]] = []
    fences: list[tuple[int, str, str]] = []
    fence: tuple[str, int, str, list[str]] | None = None  # (marker, line, lang, lines)
    for offset, line in enumerate(body.splitlines()):
        lineno = first_line + offset
        match = FENCE_RE.match(line)
        if fence is None and match:
            fence = (match.group(1), lineno, match.group(2).lower(), [])
        elif (
            fence is not None
            and line.strip().startswith(fence[0])
            and line.strip() == line.strip()[0] * len(line.strip())
        ):
            fences.append((fence[1], fence[2], "\n".join(fence[3]) + "\n"))
            fence = None
        elif fence is not None:
            fence[3].append(line)
        elif line.startswith("## "):
            sections.append((line[3:].strip(), lineno, []))
            continue
        if sections:
            sections[-1][2].append(line)
    if fence is not None:
        fences.append((fence[1], fence[2], "\n".join(fence[3]) + "\n"))
    return [(t, n, "\n".join(lines).strip()) for t, n, lines in sections], fences


def _as_str_list(value) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str):
        return [without_controls(value)]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        # YAML escapes ("\u001b") decode to control characters after the file's own text was cleaned
        return [without_controls(str(v)).strip() for v in value if without_controls(str(v)).strip()]
    return None


def parse_page(path: Path, origin: str = "built-in") -> tuple[Page | None, list[Problem]]:
    """Parse one page. Returns (page or None when a fatal problem keeps it out, problems)."""
    problems: list[Problem] = []

    def problem(line: int, message: str, fatal: bool = True) -> None:
        problems.append(Problem(path, line, message, fatal))

    slug, category = path.stem, path.parent.name
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PAGE_BYTES + 1)
        if len(raw) > MAX_PAGE_BYTES:
            problem(1, f"more than {MAX_PAGE_BYTES // 1024} KB: a page is one screen, not a document")
            return None, problems
        text = without_controls(raw.decode("utf-8").removeprefix("\ufeff"))  # a BOM is not part of the page
    except UnicodeDecodeError as exc:
        problem(1, f"not UTF-8 text ({exc.reason})")
        return None, problems
    except OSError as exc:
        problem(1, f"cannot read: {exc.strerror or exc}")
        return None, problems
    if not SLUG_RE.match(slug) or len(slug) > MAX_SLUG_LENGTH:
        problem(
            1,
            f"file name '{path.name}' is not a slug (lowercase words joined by '-', at most "
            f"{MAX_SLUG_LENGTH} characters)",
        )
    lines = text.splitlines()
    closing = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
    if not lines or lines[0].strip() != "---" or closing is None:
        problem(1, "no YAML front matter (the file must start with a '---' line and close it with another)")
        return None, problems
    import yaml  # here, not at the top: a query answered from a fresh index parses no page

    try:
        meta = yaml.load(
            "\n".join(lines[1:closing]), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )  # libyaml: ~20x faster
    except yaml.YAMLError as exc:
        # The context mark says where the broken construct began (e.g. the '['); the problem mark where
        # the parser gave up, which can be the closing '---'.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = min(mark.line + 2, closing + 1) if mark else 1  # +1: 0-based, +1: the opening '---'
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problem(line, f"bad YAML in front matter: {reason}")
        return None, problems
    if not isinstance(meta, dict):
        problem(2, "front matter must be a YAML mapping (title: ..., summary: ...)")
        return None, problems

    def field_line(name: str) -> int:
        return _line_of(text, rf"^{re.escape(name)}\s*:")

    for name in REQUIRED_FIELDS:
        if name not in meta or meta[name] in (None, "") and name != "aliases":
            problem(1, f"missing required field '{name}'")
    for name in ("title", "summary"):
        if name in meta and meta[name] is not None and not isinstance(meta[name], str):
            problem(field_line(name), f"'{name}' must be a string")
    lists: dict[str, list[str]] = {}
    for name in ("symptoms", "aliases", "related", "sources"):
        values = _as_str_list(meta.get(name))
        if values is None:
            problem(field_line(name), f"'{name}' must be a list of strings")
            values = []
        lists[name] = values
    if "symptoms" in meta and 0 < len(lists["symptoms"]) < MIN_SYMPTOMS:
        problem(
            field_line("symptoms"),
            f"only {len(lists['symptoms'])} symptoms; write at least {MIN_SYMPTOMS}",
            fatal=False,
        )
    for rel in lists["related"]:
        if not SLUG_RE.match(rel):
            problem(
                field_line("related"), f"related '{rel}' is not a bare slug (write 'warmup', not 'optimization/warmup')"
            )

    sections, fences = _split_sections("\n".join(lines[closing + 1 :]), closing + 2)
    _lint_body(path, sections, fences, problems)
    if category not in CATEGORIES:
        problem(1, f"folder '{category}' is not a category ({', '.join(CATEGORIES)})", fatal=False)

    if any(p.fatal for p in problems):
        return None, problems
    code_blocks = [f for f in fences if f[1] == "python"]
    section_text: dict[str, str] = {}
    for title, _, body in sections:
        section_text.setdefault(title, body)  # a repeated heading: the first one counts (kb check reports it)
    page = Page(
        slug=slug,
        category=category,
        title=without_controls(str(meta["title"])).strip(),
        summary=" ".join(without_controls(str(meta["summary"])).split()),
        symptoms=tuple(lists["symptoms"]),
        aliases=tuple(lists["aliases"]),
        related=tuple(lists["related"]),
        sources=tuple(lists["sources"]),
        sections=section_text,
        snippet=code_blocks[0][2] if code_blocks else "",
        path=path,
        origin=origin,
        content_hash=hashlib.sha256(raw).hexdigest(),
        section_lines={t: n for t, n, _ in reversed(sections)},
    )
    return page, problems


def _lint_body(path: Path, sections, fences, problems: list[Problem]) -> None:
    """Format problems in the body. None of them is fatal: the page can still answer queries."""

    def problem(line: int, message: str) -> None:
        problems.append(Problem(path, line, message, fatal=False))

    titles = [t for t, _, _ in sections]
    for name in SECTIONS:
        if name not in titles:
            problem(1, f"missing section '## {name}'")
    first_line: dict[str, int] = {}
    for title, line, _ in sections:
        if title in first_line:
            problem(line, f"section '## {title}' appears twice (first at line {first_line[title]}); the first is used")
        else:
            first_line[title] = line
    known = [(t, first_line[t]) for t in first_line if t in SECTIONS]  # each section once, in page order
    expected = [t for t in SECTIONS if t in first_line]
    wrong = [line for (title, line), want in zip(known, expected) if title != want]
    if wrong:
        problem(wrong[0], f"sections out of order: expected {' -> '.join(expected)}")
    for title, line, _ in sections:
        if title not in SECTIONS:
            problem(line, f"unknown section '## {title}' (allowed: {', '.join(SECTIONS)})")
    code_line = next((n for t, n, _ in sections if t == "Code to try"), None)
    python_blocks = [f for f in fences if f[1] == "python"]
    if len(python_blocks) != 1:
        problem(
            python_blocks[1][0] if len(python_blocks) > 1 else (code_line or 1),
            f"expected exactly one ```python block, found {len(python_blocks)}",
        )
    elif code_line is not None:
        in_section = [s for s in sections if s[0] == "Code to try"][0]
        if "```python" not in in_section[2] and "~~~python" not in in_section[2]:
            problem(python_blocks[0][0], "the ```python block must be in '## Code to try'")
    prose = " ".join(text for title, _, text in sections if title != "Code to try")
    prose = re.sub(r"```.*?```", " ", prose, flags=re.S)
    words = len(re.findall(r"[A-Za-z0-9][\w'./-]*", prose))
    low, high = PROSE_WORDS
    if not low <= words <= high:
        problem(1, f"{words} words of prose; aim for 250-450 (one screen)")


def link_problems(pages: dict[str, Page]) -> list[Problem]:
    """`related` slugs (one problem per page, fatal) and relative page links that point at no page."""
    problems = []
    for page in pages.values():
        try:
            text = page.path.read_text(encoding="utf-8", errors="replace")
        except OSError:  # moved away since it was parsed: its links cannot be read now, nor be wrong
            text = ""
        missing = [rel for rel in page.related if rel not in pages]
        if missing:
            names = ", ".join(f"'{m}'" for m in missing)
            problems.append(
                Problem(
                    page.path,
                    _line_of(text, r"^related\s*:"),
                    f"related slug{'s' if len(missing) > 1 else ''} {names} "
                    f"ha{'ve' if len(missing) > 1 else 's'} no page",
                )
            )
        for match in PAGE_LINK_RE.finditer(text):
            category, slug = match.groups()
            category = category or page.category  # "slug.md": a page in the same folder
            target = pages.get(slug)
            if target is None or target.category != category:
                line = text.count("\n", 0, match.start()) + 1
                where = f" (it is in {target.category}/)" if target is not None else ""
                problems.append(
                    Problem(page.path, line, f"link to '{category}/{slug}.md' has no page{where}", fatal=False)
                )
    return problems


def page_files(directory: Path, problems: list[Problem] | None = None) -> list[Path]:
    """The page files `<category>/<slug>.md` under `directory`, sorted. Category folders that cannot be read (no
    permission, a symlink loop) are added to `problems` when given, never skipped without a word."""
    files = []
    try:
        categories = sorted(directory.iterdir())
    except OSError as exc:
        if problems is not None:
            problems.append(Problem(directory, 1, f"cannot read this concepts folder: {exc.strerror or exc}"))
        return []
    for folder in categories:
        try:
            if folder.is_symlink() and not folder.exists():  # dangling, or a loop (is_dir() says False for both)
                folder.stat()  # raises the OSError that says which
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            files += [p for p in folder.glob("*.md") if p.is_file()]
        except OSError as exc:
            if problems is not None:
                problems.append(Problem(folder, 1, f"cannot read this category folder: {exc.strerror or exc}"))
    return sorted(files)


def parse_page_guarded(path: Path, origin: str) -> tuple[Page | None, list[Problem]]:
    """parse_page, where a parser bug costs one page (reported as its problem), never the whole library."""
    try:
        return parse_page(path, origin)
    except Exception as exc:  # noqa: BLE001
        return None, [Problem(path, 1, f"kb could not read this page ({type(exc).__name__}: {exc})")]


def load_library(dirs: list[tuple[Path, str]]) -> Library:
    """Load pages from (directory, origin) pairs; later directories override earlier ones by slug."""
    pages: dict[str, Page] = {}
    problems: list[Problem] = []
    for directory, origin in dirs:
        seen_here: dict[str, Path] = {}
        for path in page_files(directory, problems):
            page, found = parse_page_guarded(path, origin)
            problems.extend(found)
            if page is None:
                continue
            if page.slug in seen_here:
                problems.append(Problem(path, 1, f"duplicate slug '{page.slug}' (also {seen_here[page.slug]})"))
                continue
            seen_here[page.slug] = path
            pages[page.slug] = page  # same slug from a later directory overrides the built-in page
    broken = set()
    for found in link_problems(pages):
        problems.append(found)
        if found.fatal:
            broken.add(found.path)
    for slug in [s for s, p in pages.items() if p.path in broken]:
        del pages[slug]
    return Library(pages, problems)


class PagesOnDemand(Mapping):
    """Pages by slug, each parsed the first time it is asked for. `kb explain` and `kb diagnose` name a handful of
    pages, and parsing all of them was most of their time (about 0.2 s of 0.4). Which pages exist follows
    load_library: the last directory holding a slug wins, the first file of a slug within one directory, and a page
    that does not parse, or whose `related` names a slug with no page file, is absent. (load_library also drops a
    page whose related page exists but does not parse; that needs every page parsed, and costs here only a link.)"""

    def __init__(self, dirs: list[tuple[Path, str]], on_problem: Callable[[Problem], None] | None = None):
        self._files: dict[str, tuple[Path, str]] = {}
        for directory, origin in dirs:
            here: dict[str, tuple[Path, str]] = {}
            for path in page_files(directory):
                here.setdefault(path.stem, (path, origin))
            self._files.update(here)
        self._parsed: dict[str, Page | None] = {}
        self._on_problem = on_problem

    def _page(self, slug: str) -> Page | None:
        if slug not in self._parsed:
            path, origin = self._files[slug]
            page, problems = parse_page_guarded(path, origin)
            missing = [rel for rel in (page.related if page else ()) if rel not in self._files]
            if missing:
                page = None
                problems.append(Problem(path, 1, f"related {', '.join(repr(m) for m in missing)} has no page"))
            for problem in problems:
                if problem.fatal and self._on_problem is not None:
                    self._on_problem(problem)
            self._parsed[slug] = page
        return self._parsed[slug]

    def __getitem__(self, slug: str) -> Page:
        page = self._page(slug) if isinstance(slug, str) and slug in self._files else None
        if page is None:
            raise KeyError(slug)
        return page

    def __contains__(self, slug: object) -> bool:
        return isinstance(slug, str) and slug in self._files and self._page(slug) is not None

    def __iter__(self) -> Iterator[str]:
        return (slug for slug in sorted(self._files) if self._page(slug) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)
