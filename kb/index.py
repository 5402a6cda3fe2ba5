"""Stage 2: embed pages into an index file that a query can use without parsing a single page.

Each page gives several vectors (title + summary + aliases, each symptom, each prose section) so that a
query can meet a page by whichever phrasing is closest. One file, replaced atomically, holds:

- a small JSON header: format, model, dimension, the section table, checksums, BM25 stopwords, the fatal
  page problems found at build time (re-reported on every query), and the search layout ("flat" or "ivf");
- numpy sections, each 64-byte aligned so they load with `np.frombuffer` (or a memory map for big files):
  `vectors` float32 (n_chunks, dim), L2-normalized, in chunk order; `chunk_kind` uint8 (index into KINDS);
  `page_first` int64 (n_pages + 1): page i owns chunk rows page_first[i]:page_first[i + 1]; chunk texts
  and labels as UTF-8 blobs + int64 offsets (decoded only for the chunks a query prints); the BM25 weights
  (`bm25_data/indices/indptr` in bm25s' sparse layout, `bm25_vocab` one token per line in column order);
  the page manifest (slug, path, content hash) and every page file seen (path, mtime_ns, size): a query
  compares those stamps with `os.stat` instead of parsing pages, and only a difference triggers a rebuild;
  above FLAT_MAX_VECTORS vectors, an inverted file (`ivf_centroids`, `ivf_order`, `ivf_offsets`, and
  `ivf_codes`: int8 copies of the vectors in cluster order, `ivf_scales`), see `Ivf`; the exact-match
  keys (`exact_*`, see `ExactIndex`) and the typo vocabulary (`spell_targets/counts/known`, see kb.spelling).

Exported for other rankers (e.g. a JavaScript port): `Index.chunks` (slug, kind, label, text in row order),
`Index.vectors`, `Index.lexical` (`vocab`, `data/indices/indptr`, `stopwords`, over `page_text_for_bm25(page)`)
and `bm25_tokens`; the ranking itself is `kb.search.page_scores`.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KbError
from .pages import Library, Page, page_files
from .spelling import Spelling, build_spelling

FORMAT = 5  # 5: spelling sections (kb.spelling)
CHUNKER = 1  # bump when chunk_page changes: every page is re-embedded
MAGIC = b"KBINDEX\n"
ALIGN = 64
KINDS = ("title", "symptom", "section")
EMBEDDED_SECTIONS = ("You see", "Try this first", "Why", "Check", "Fixes, in order")  # not "Not this?": it
# describes the look-alike pages and would pull their queries here.
# Exact search over every vector up to this many (~3,000 pages: a 77 MB matrix, ~10 ms per query on 2 cores);
# above it an inverted file (IVF) probes IVF_NPROBE of 2*sqrt(n) clusters. Measured: benchmarks/scale.py.
FLAT_MAX_VECTORS = 50_000
IVF_NPROBE = 32
# Files up to this size are read whole and checksummed on every load (66 pages: 2 MB, ~1 ms). Of bigger ones
# only the small sections are read and checksummed (the size check catches truncation); the bulk sections
# (vectors, int8 codes, chunk texts, BM25 postings) are read with pread, only the parts a query needs.
FULL_CHECK_MAX_BYTES = 64 << 20

Notify = Callable[[str], None]
Progress = Callable[[int, int], None]  # (pages embedded so far, pages to embed)
FileStamp = tuple[str, int, int]  # (path, mtime_ns, size) of a page file


def notify_stderr(message: str) -> None:
    print(f"kb: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Chunk:
    slug: str
    kind: str  # "title" | "symptom" | "section"
    label: str  # the symptom text, the section name, or the title
    text: str  # what was embedded


def plain(markdown: str) -> str:
    """Markdown to embeddable prose: links to their text, no emphasis marks or code fences."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`>#]+", "", text)
    return " ".join(text.split())


def chunk_page(page: Page) -> list[Chunk]:
    also = f" Also called: {', '.join(page.aliases)}." if page.aliases else ""
    chunks = [Chunk(page.slug, "title", page.title, f"{page.title}. {page.summary}{also}")]
    chunks += [Chunk(page.slug, "symptom", s, s) for s in page.symptoms]
    for name in EMBEDDED_SECTIONS:
        text = plain(page.sections.get(name, ""))
        if text:
            chunks.append(Chunk(page.slug, "section", name, text))
    return chunks


def scan_files(concept_dirs) -> list[FileStamp]:
    """Every page file of the library with its mtime and size: what the index's freshness is checked against."""
    stamps = []
    for directory, _origin in concept_dirs:
        for path in page_files(Path(directory)):
            stat = path.stat()
            stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
    return stamps


class Strings:
    """A list of strings stored as one UTF-8 blob + offsets; an item is decoded only when it is read."""

    def __init__(self, blob, offsets):
        self.blob, self.offsets = blob, offsets

    @classmethod
    def pack(cls, items: list[str]) -> Strings:
        import numpy as np

        encoded = [s.encode("utf-8") for s in items]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.blob[self.offsets[i]:self.offsets[i + 1]].tobytes().decode("utf-8")

    def tolist(self) -> list[str]:
        text, bounds = self.blob.tobytes(), self.offsets.tolist()
        return [text[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]


@dataclass
class Ivf:
    """An inverted file over the chunk vectors: cluster c holds rows order[offsets[c]:offsets[c + 1]], and
    `codes` holds int8 copies of their vectors in that same (cluster) order, so a probed cluster is one read.
    Scores from the codes only pick candidate pages; those are then scored exactly from the float32 vectors."""

    centroids: object  # float32 (n_clusters, dim)
    order: object  # int32 (n_chunks,): chunk row of each code
    offsets: object  # int64 (n_clusters + 1,)
    codes: object  # int8 (n_chunks, dim), cluster order; vector ~= codes * scales
    scales: object  # float32 (dim,)
    nprobe: int = IVF_NPROBE

    def scan(self, vector):
        """(rows, approximate cosines) of the chunks in the nprobe clusters closest to `vector`."""
        import numpy as np

        nprobe = min(self.nprobe, len(self.centroids))
        clusters = np.sort(np.argpartition(-(self.centroids @ vector), nprobe - 1)[:nprobe])
        weights = vector * self.scales
        rows, scores = [], []
        for c in clusters.tolist():
            lo, hi = int(self.offsets[c]), int(self.offsets[c + 1])
            if hi > lo:
                rows.append(self.order[lo:hi])
                scores.append(self.codes[lo:hi].astype(np.float32) @ weights)
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(rows), np.concatenate(scores)


def build_ivf(vectors, n_clusters: int | None = None, seed: int = 1234) -> Ivf:
    """Spherical k-means (faiss) on a sample, then every vector assigned to its nearest centroid."""
    import faiss
    import numpy as np

    n, dim = vectors.shape
    n_clusters = n_clusters or max(1, int(2 * n ** 0.5))
    sample = vectors
    if n > 40 * n_clusters:  # faiss wants >= 39 points per centroid
        sample = vectors[np.sort(np.random.default_rng(seed).choice(n, 40 * n_clusters, replace=False))]
    kmeans = faiss.Kmeans(dim, n_clusters, niter=10, spherical=True, seed=seed, verbose=False,
                          max_points_per_centroid=40)
    kmeans.train(np.ascontiguousarray(sample, dtype=np.float32))
    quantizer = faiss.IndexFlatIP(dim)
    quantizer.add(kmeans.centroids)
    assign = np.empty(n, dtype=np.int64)
    for start in range(0, n, 65536):
        _, nearest = quantizer.search(np.ascontiguousarray(vectors[start:start + 65536], dtype=np.float32), 1)
        assign[start:start + 65536] = nearest[:, 0]
    order = np.argsort(assign, kind="stable").astype(np.int32)
    offsets = np.zeros(n_clusters + 1, dtype=np.int64)
    np.cumsum(np.bincount(assign, minlength=n_clusters), out=offsets[1:])
    scales = np.maximum(np.abs(vectors).max(axis=0), 1e-6).astype(np.float32) / 127
    codes = np.empty((n, dim), dtype=np.int8)
    for start in range(0, n, 65536):
        rows = order[start:start + 65536]
        codes[start:start + len(rows)] = np.round(vectors[rows] / scales)
    return Ivf(np.ascontiguousarray(kmeans.centroids, dtype=np.float32), order, offsets, codes, scales)


class ArrayFile:
    """A numpy section of a big index file, read with pread: only the rows (or bytes) asked for are read.
    Supports what the engine uses: len, [int], [slice], [array of rows], `vectors @ q` in blocks, np.asarray."""

    BLOCK_ROWS = 16384

    def __init__(self, handle, offset: int, shape: tuple[int, ...], dtype: str):
        import numpy as np

        self.handle, self.offset, self.shape, self.dtype = handle, offset, tuple(shape), np.dtype(dtype)
        self.row_bytes = self.dtype.itemsize * int(np.prod(self.shape[1:], dtype=np.int64))

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, first: int, count: int):
        import numpy as np

        data = os.pread(self.handle.fileno(), count * self.row_bytes, self.offset + first * self.row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape(count, *self.shape[1:])

    def __getitem__(self, key):
        import numpy as np

        if isinstance(key, slice):
            first, stop, _ = key.indices(len(self))
            return self._read(first, max(stop - first, 0))
        if np.ndim(key) == 0:
            return self._read(int(key), 1)[0]
        rows = np.asarray(key, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        starts = np.flatnonzero(np.r_[True, np.diff(ordered) != 1])  # runs of consecutive rows: one read each
        lengths = np.diff(np.r_[starts, len(ordered)])
        out = np.empty((len(rows), *self.shape[1:]), dtype=self.dtype)
        if len(rows):
            out[order] = np.concatenate([self._read(first, count)
                                         for first, count in zip(ordered[starts].tolist(), lengths.tolist())])
        return out

    def __matmul__(self, vector):
        import numpy as np

        return np.concatenate([self._read(i, min(self.BLOCK_ROWS, len(self) - i)) @ vector
                               for i in range(0, len(self), self.BLOCK_ROWS)] or [np.zeros(0, np.float32)])

    def __array__(self, dtype=None, copy=None):
        return self[0:len(self)] if dtype is None else self[0:len(self)].astype(dtype)

    def tobytes(self) -> bytes:
        return self[0:len(self)].tobytes()

    def tolist(self) -> list:
        return self[0:len(self)].tolist()


@dataclass
class Index:
    """A loaded index. Chunk rows are grouped by page, pages in manifest order."""

    model: str
    dim: int
    slugs: list[str]
    page_paths: list[str]
    page_hashes: list[str]
    page_first: object  # int64 (n_pages + 1,)
    chunk_kinds: object  # uint8 (n_chunks,), index into KINDS
    chunk_labels: Strings
    chunk_texts: Strings
    vectors: object  # float32 (n_chunks, dim)
    lexical: LexicalIndex
    files: list[FileStamp] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file:line: message" of pages left out at build time
    ivf: Ivf | None = None
    exact: ExactIndex | None = None
    path: Path | None = None
    spelling: Spelling | None = None

    def __len__(self) -> int:
        return len(self.slugs)

    @functools.cached_property
    def page_row(self) -> dict[str, int]:
        return {slug: i for i, slug in enumerate(self.slugs)}

    @functools.cached_property
    def page_of_chunk(self):
        import numpy as np

        return np.repeat(np.arange(len(self.slugs), dtype=np.int32), np.diff(self.page_first))

    @property
    def pages(self) -> dict[str, dict]:
        """slug -> {"hash", "path", "first", "count"}."""
        first = self.page_first.tolist()
        return {slug: {"hash": self.page_hashes[i], "path": self.page_paths[i], "first": first[i],
                       "count": first[i + 1] - first[i]} for i, slug in enumerate(self.slugs)}

    def chunk(self, row: int) -> Chunk:
        return Chunk(self.slugs[self.page_of_chunk[row]], KINDS[self.chunk_kinds[row]], self.chunk_labels[row],
                     self.chunk_texts[row])

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk in row order (row i is described by vectors[i])."""
        slugs, kinds = self.page_of_chunk.tolist(), self.chunk_kinds.tolist()
        return [Chunk(self.slugs[p], KINDS[k], label, text)
                for p, k, label, text in zip(slugs, kinds, self.chunk_labels.tolist(), self.chunk_texts.tolist())]

    def vectors_of(self, slug: str):
        i = self.page_row[slug]
        return self.vectors[self.page_first[i]:self.page_first[i + 1]]

    def is_fresh_for(self, library: Library, model: str) -> bool:
        return self.model == model and dict(zip(self.slugs, self.page_hashes)) == {
            s: p.content_hash for s, p in library.pages.items()}

    def dense_candidates(self, vector):
        """(rows, cosines) of the chunks a query is compared with: (None, exact cosines of every row), or the
        rows of the probed IVF clusters with approximate cosines."""
        if self.ivf is None:
            return None, self.vectors @ vector
        return self.ivf.scan(vector)


TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")  # bm25s' (and scikit-learn's) default token pattern


@dataclass
class LexicalIndex:
    """BM25 weights computed by bm25s at build time, stored so that queries need neither bm25s nor scipy.

    `data/indices/indptr` is bm25s' own sparse layout: for token column t, pages `indices[indptr[t]:indptr[t+1]]`
    have BM25 weights `data[...]`; a query's score for a page is the sum over its tokens (see `scores`).
    """

    slugs: list[str]
    vocab: dict[str, int]  # stemmed token -> column
    stopwords: frozenset[str]
    data: object
    indices: object
    indptr: object

    def tokens(self, text: str) -> list[str]:
        return bm25_tokens(text, self.stopwords)
    def scores(self, text: str):
        import numpy as np

        out = np.zeros(len(self.slugs), dtype=np.float32)
        for token in self.tokens(text):
            column = self.vocab.get(token)
            if column is not None and column + 1 < len(self.indptr):  # bm25s' "" token has no column
                lo, hi = self.indptr[column], self.indptr[column + 1]
                np.add.at(out, self.indices[lo:hi], self.data[lo:hi])
        return out


def bm25_tokens(text: str, stopwords: frozenset[str]) -> list[str]:
    """Pages and queries alike: lowercase, bm25s' token pattern, English stopwords, Snowball stems."""
    return _stemmer().stemWords([w for w in TOKEN_RE.findall(text.lower()) if w not in stopwords])


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def page_text_for_bm25(page: Page) -> str:
    sections = " ".join(plain(text) for name, text in page.sections.items() if name not in ("Not this?", "Sources"))
    return " ".join([page.title, *page.aliases, page.summary, *page.symptoms, sections, page.snippet])


def build_lexical(pages: list[Page]) -> LexicalIndex:
    import bm25s
    import numpy as np
    from bm25s.stopwords import STOPWORDS_EN

    stopwords = frozenset(STOPWORDS_EN)
    if not pages:
        return LexicalIndex([], {}, stopwords, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int32))
    model = bm25s.BM25()
    model.index([bm25_tokens(page_text_for_bm25(p), stopwords) or [""] for p in pages], show_progress=False)
    scores = model.scores
    return LexicalIndex([p.slug for p in pages], dict(model.vocab_dict), stopwords,
                        np.asarray(scores["data"], np.float32), np.asarray(scores["indices"], np.int32),
                        np.asarray(scores["indptr"], np.int32))


EXACT_TOKEN_RE = re.compile(r"[a-z0-9]+")
EXACT_WINDOW = 6  # an error string of at least this many words matches when it occurs anywhere in the query
ERROR_RE = re.compile(r"(Error|Exception|Warning)\b")


def exact_text(text: str) -> str:
    """What exact matching compares: lowercase letters and digits, one space between runs."""
    return " ".join(EXACT_TOKEN_RE.findall(text.lower()))


def exact_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def exact_keys(page: Page) -> tuple[set[str], set[str]]:
    """(keys the whole query must equal: slug, title, aliases, short error strings; error strings of at least
    EXACT_WINDOW words that the query must contain, as a pasted message or log does)."""
    equal = {exact_text(k) for k in (page.slug, page.title, *page.aliases)}
    contained = set()
    for symptom in page.symptoms:
        if ERROR_RE.search(symptom):
            key = exact_text(symptom)
            (contained if len(key.split()) >= EXACT_WINDOW else equal).add(key)
    return equal - {""}, contained


@dataclass
class ExactIndex:
    """Exact matches of a query against slugs, titles, aliases and error strings, by 64-bit hashes kept sorted
    (a query hashes itself and each of its EXACT_WINDOW-word windows; contained keys are then verified)."""

    equal_hash: object  # uint64, sorted
    equal_page: object  # int32
    contained_hash: object  # uint64 of the key's first EXACT_WINDOW words, sorted
    contained_page: object  # int32
    contained_keys: Strings  # the whole key, same order

    def pages(self, text: str) -> set[int]:
        """Indices of the pages that `text` matches exactly."""
        import numpy as np

        query = exact_text(text)
        words = query.split()
        found = set()
        for hashes, owners, probes in (
                (self.equal_hash, self.equal_page, [query]),
                (self.contained_hash, self.contained_page,
                 [" ".join(words[i:i + EXACT_WINDOW]) for i in range(len(words) - EXACT_WINDOW + 1)])):
            if not len(hashes) or not probes:
                continue
            wanted = np.array([exact_hash(p) for p in probes], dtype=np.uint64)
            lo, hi = np.searchsorted(hashes, wanted, "left"), np.searchsorted(hashes, wanted, "right")
            for a, b in zip(lo.tolist(), hi.tolist()):
                for row in range(a, b):
                    if owners is self.equal_page or self.contained_keys[row] in query:
                        found.add(int(owners[row]))
        return found


def build_exact(pages: list[Page]) -> ExactIndex:
    import numpy as np

    equal, contained = [], []
    for i, page in enumerate(pages):
        keys_equal, keys_contained = exact_keys(page)
        equal += [(exact_hash(k), i) for k in keys_equal]
        contained += [(exact_hash(" ".join(k.split()[:EXACT_WINDOW])), i, k) for k in keys_contained]
    equal.sort()
    contained.sort()
    return ExactIndex(np.array([h for h, _ in equal], dtype=np.uint64), np.array([i for _, i in equal], np.int32),
                      np.array([h for h, _, _ in contained], dtype=np.uint64),
                      np.array([i for _, i, _ in contained], np.int32), Strings.pack([k for _, _, k in contained]))


def index_path(home: Path, model: str, concept_dirs) -> Path:
    """One index file per (model, set of concept directories)."""
    key = json.dumps([model, sorted(str(Path(d).resolve()) for d, _ in concept_dirs)])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    safe_model = re.sub(r"[^A-Za-z0-9._-]+", "_", model)[-40:]
    return home / "index" / f"{safe_model}-{digest}.kbi"


class CorruptIndex(Exception):
    pass


# Bulk sections, not checksummed on load when the file is big (see FULL_CHECK_MAX_BYTES).
BIG_SECTIONS = ("vectors", "chunk_kind", "chunk_label_blob", "chunk_label_offsets", "chunk_text_blob",
                "chunk_text_offsets", "bm25_data", "bm25_indices", "ivf_order", "ivf_codes")  # read on demand


def _line_section(words) -> object:
    """Strings without newlines as one UTF-8 section, one per line (read back by `lines` in read_index)."""
    import numpy as np

    return np.frombuffer("\n".join(words).encode(), np.uint8)


def _sections(index: Index) -> dict:
    import numpy as np

    lex = index.lexical
    paths = Strings.pack([p for p, _, _ in index.files])
    sections = {
        "vectors": np.ascontiguousarray(index.vectors, dtype="<f4"),
        "page_first": np.asarray(index.page_first, dtype="<i8"),
        "chunk_kind": np.asarray(index.chunk_kinds, dtype=np.uint8),
        "chunk_label_blob": index.chunk_labels.blob, "chunk_label_offsets": index.chunk_labels.offsets,
        "chunk_text_blob": index.chunk_texts.blob, "chunk_text_offsets": index.chunk_texts.offsets,
        "page_slug": _line_section(index.slugs),
        "page_path": np.frombuffer("\0".join(index.page_paths).encode(), np.uint8),
        "page_hash": np.frombuffer("".join(index.page_hashes).encode("ascii"), np.uint8),
        "file_path_blob": paths.blob, "file_path_offsets": paths.offsets,
        "file_mtime": np.array([m for _, m, _ in index.files], dtype="<i8"),
        "file_size": np.array([s for _, _, s in index.files], dtype="<i8"),
        "bm25_vocab": _line_section(sorted(lex.vocab, key=lex.vocab.get)),
        "bm25_data": np.asarray(lex.data, dtype="<f4"), "bm25_indices": np.asarray(lex.indices, dtype="<i4"),
        "bm25_indptr": np.asarray(lex.indptr, dtype="<i4"),
    }
    if index.exact is not None:
        sections.update(exact_equal_hash=np.asarray(index.exact.equal_hash, "<u8"),
                        exact_equal_page=np.asarray(index.exact.equal_page, "<i4"),
                        exact_contained_hash=np.asarray(index.exact.contained_hash, "<u8"),
                        exact_contained_page=np.asarray(index.exact.contained_page, "<i4"),
                        exact_key_blob=index.exact.contained_keys.blob,
                        exact_key_offsets=index.exact.contained_keys.offsets)
    if index.spelling is not None:
        targets = sorted(index.spelling.targets)
        sections.update(spell_targets=_line_section(targets),
                        spell_counts=np.array([index.spelling.targets[w] for w in targets], dtype="<i4"),
                        spell_known=_line_section(sorted(index.spelling.known)))
    if index.ivf is not None:
        sections.update(ivf_centroids=np.asarray(index.ivf.centroids, "<f4"),
                        ivf_order=np.asarray(index.ivf.order, "<i4"), ivf_offsets=np.asarray(index.ivf.offsets, "<i8"),
                        ivf_codes=np.asarray(index.ivf.codes, np.int8), ivf_scales=np.asarray(index.ivf.scales, "<f4"))
    return sections


def write_index(index: Index, path: Path) -> None:
    """Write to a temporary file, fsync, then rename over the old one: readers see the old or the new, never half."""
    table, parts, offset = {}, [], 0
    full, meta = hashlib.sha256(), hashlib.sha256()
    for name, array in _sections(index).items():
        data = array.tobytes()
        pad = b"\0" * (-offset % ALIGN)
        offset += len(pad)
        table[name] = [offset, len(data), array.dtype.str, list(array.shape)]
        for piece in (pad, data):
            parts.append(piece)
            full.update(piece)
            if name not in BIG_SECTIONS:
                meta.update(piece)
        offset += len(data)
    header = json.dumps({
        "format": FORMAT, "chunker": CHUNKER, "model": index.model, "dim": index.dim,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "pages": len(index.slugs),
        "chunks": len(index.vectors), "search": "flat" if index.ivf is None else "ivf",
        "ivf_nprobe": index.ivf.nprobe if index.ivf is not None else None,
        "stopwords": sorted(index.lexical.stopwords), "problems": index.problems, "sections": table,
        "payload_bytes": offset, "payload_sha256": full.hexdigest(), "meta_sha256": meta.hexdigest(),
    }).encode("utf-8")
    start = len(MAGIC) + 8 + len(header)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(MAGIC + struct.pack("<Q", len(header)) + header + b"\0" * (-start % ALIGN))
            for part in parts:
                handle.write(part)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_index(path: Path) -> Index:
    """Load and verify an index file; CorruptIndex when it is truncated, tampered with or from another version.

    Files up to FULL_CHECK_MAX_BYTES are read whole and fully checksummed. Bigger ones are never read whole (nor
    memory-mapped: the kernel would map whole page-cache folios around every random read and count them in RSS):
    their small sections are read and checksummed, their bulk sections (BIG_SECTIONS) are read on demand.
    """
    import numpy as np

    big = None  # the open file of a big index
    try:
        handle = path.open("rb")
        size = os.fstat(handle.fileno()).st_size
        if size > FULL_CHECK_MAX_BYTES:
            big = handle
            head = os.pread(handle.fileno(), 1 << 20, 0)
        else:
            with handle:
                head = memoryview(handle.read())  # sections are views into it, 64-byte aligned as in the file
    except (OSError, ValueError) as exc:
        raise CorruptIndex(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        if head[:len(MAGIC)] != MAGIC:
            raise ValueError("not a kb index file")
        (header_len,) = struct.unpack_from("<Q", head, len(MAGIC))
        start = len(MAGIC) + 8 + header_len
        if big is not None and start > len(head):
            head = os.pread(big.fileno(), start, 0)
        header = json.loads(bytes(head[len(MAGIC) + 8:start]).decode("utf-8"))
        if header.get("format") != FORMAT or header.get("chunker") != CHUNKER:
            raise ValueError("written by another version of kb")
        start += -start % ALIGN
        if size - start != header["payload_bytes"]:
            raise ValueError("payload size does not match the header (truncated?)")
        sections: dict = {}
        digest, end = hashlib.sha256(), 0
        for name, (offset, nbytes, dtype, shape) in header["sections"].items():
            if big is not None and name in BIG_SECTIONS:
                sections[name] = ArrayFile(big, start + offset, tuple(shape), dtype)
            else:
                digest.update(b"\0" * (offset - end))  # the alignment padding before it
                data = head[start + offset:start + offset + nbytes] if big is None else \
                    os.pread(big.fileno(), nbytes, start + offset)
                if len(data) != nbytes:
                    raise ValueError(f"section {name} is truncated")
                digest.update(data)
                sections[name] = np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape)
            end = offset + nbytes
        if big is None:
            if digest.hexdigest() != header["payload_sha256"]:
                raise ValueError("checksum mismatch (truncated or corrupt)")
        elif digest.hexdigest() != header["meta_sha256"]:
            raise ValueError("checksum mismatch (truncated or corrupt)")

        def text(name) -> str:
            return sections[name].tobytes().decode("utf-8")

        def lines(name) -> list[str]:  # a _line_section; empty when it holds no line
            return text(name).split("\n") if header["sections"][name][1] else []

        slugs = lines("page_slug")
        vocab = lines("bm25_vocab")
        lexical = LexicalIndex(slugs, {t: i for i, t in enumerate(vocab)}, frozenset(header["stopwords"]),
                               sections["bm25_data"], sections["bm25_indices"], sections["bm25_indptr"])
        hashes = text("page_hash")
        files = zip(Strings(sections["file_path_blob"], sections["file_path_offsets"]).tolist(),
                    sections["file_mtime"].tolist(), sections["file_size"].tolist())
        ivf = None
        if header["search"] == "ivf":
            ivf = Ivf(sections["ivf_centroids"], sections["ivf_order"], sections["ivf_offsets"],
                      sections["ivf_codes"], sections["ivf_scales"], header["ivf_nprobe"])
        exact = None
        if "exact_equal_hash" in sections:
            exact = ExactIndex(sections["exact_equal_hash"], sections["exact_equal_page"],
                               sections["exact_contained_hash"], sections["exact_contained_page"],
                               Strings(sections["exact_key_blob"], sections["exact_key_offsets"]))
        spelling = None
        if "spell_targets" in sections:
            spelling = Spelling(dict(zip(lines("spell_targets"), sections["spell_counts"].tolist())),
                                frozenset(lines("spell_known")))
        index = Index(header["model"], header["dim"], slugs,
                      text("page_path").split("\0") if slugs else [],
                      [hashes[i:i + 64] for i in range(0, len(hashes), 64)], sections["page_first"],
                      sections["chunk_kind"], Strings(sections["chunk_label_blob"], sections["chunk_label_offsets"]),
                      Strings(sections["chunk_text_blob"], sections["chunk_text_offsets"]), sections["vectors"],
                      lexical, list(files), list(header["problems"]), ivf, exact, path, spelling)
        if index.vectors.shape != (header["chunks"], header["dim"]) or int(index.page_first[-1]) != header["chunks"]:
            raise ValueError("vector count does not match the manifest")
    except (ValueError, KeyError, TypeError, IndexError, struct.error, UnicodeDecodeError, OSError) as exc:
        if big is not None:
            big.close()
        raise CorruptIndex(f"{path}: {exc}") from None
    return index


@dataclass(frozen=True)
class BuildStats:
    pages: int
    chunks: int
    embedded_pages: int
    embedded_chunks: int
    seconds: float
    path: Path
    bytes: int


def assemble_index(model: str, dim: int, pages: list[Page], chunks_of: dict[str, list[Chunk]], vectors_of: dict,
                   lexical: LexicalIndex, files: list[FileStamp] = (), problems: list[str] = (),
                   flat_max: int = FLAT_MAX_VECTORS) -> Index:
    """An Index from pages, their chunks and vectors (also used by benchmarks/scale.py with synthetic vectors)."""
    import numpy as np

    first = np.zeros(len(pages) + 1, dtype=np.int64)
    np.cumsum([len(chunks_of[p.slug]) for p in pages], out=first[1:])
    chunks = [c for p in pages for c in chunks_of[p.slug]]
    if pages:
        vectors = np.ascontiguousarray(np.vstack([vectors_of[p.slug] for p in pages]), dtype=np.float32)
    else:
        vectors = np.zeros((0, dim), dtype=np.float32)
    return Index(model, dim, [p.slug for p in pages], [str(p.path) for p in pages], [p.content_hash for p in pages],
                 first, np.array([KINDS.index(c.kind) for c in chunks], dtype=np.uint8),
                 Strings.pack([c.label for c in chunks]), Strings.pack([c.text for c in chunks]), vectors, lexical,
                 list(files), list(problems), build_ivf(vectors) if len(vectors) > flat_max else None,
                 build_exact(pages), spelling=build_spelling(page_text_for_bm25(p) for p in pages))


def build_index(library: Library, embedder, donors: list[Index] = (), progress: Progress | None = None,
                files: list[FileStamp] = ()) -> tuple[Index, BuildStats]:
    """Embed the library, reusing the vectors of any page whose content hash a donor index already holds
    (the previous index, or one built for another set of concept directories with the same model)."""
    start = time.perf_counter()
    reusable: dict[str, tuple[Index, str]] = {}
    for donor in donors:
        if donor.model == embedder.name:
            for slug, content_hash in zip(donor.slugs, donor.page_hashes):
                reusable.setdefault(content_hash, (donor, slug))
    pages = sorted(library.pages.values(), key=lambda p: (p.category, p.slug))
    chunks_of = {p.slug: chunk_page(p) for p in pages}
    todo = [p for p in pages if p.content_hash not in reusable]
    vectors_of: dict = {}
    done = 0
    if progress:
        progress(0, len(todo))
    for batch_start in range(0, len(todo), 16):  # batches of pages, so progress moves and memory stays flat
        batch = todo[batch_start:batch_start + 16]
        batch_chunks = [chunks_of[p.slug] for p in batch]
        vectors = embedder.encode([c.text for chunks in batch_chunks for c in chunks])
        offset = 0
        for page, chunks in zip(batch, batch_chunks):
            vectors_of[page.slug] = vectors[offset:offset + len(chunks)]
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
    index = assemble_index(embedder.name, embedder.dim, pages, chunks_of, vectors_of, build_lexical(pages),
                           files, problems)
    stats = BuildStats(len(pages), len(index.vectors), len(todo), embedded_chunks, time.perf_counter() - start,
                       Path(), 0)
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


def load_current(path: Path, model: str, files: list[FileStamp]) -> Index | None:
    """The index at `path` if it was built by `model` from exactly these page files (same paths, mtimes and
    sizes), else None. This is the query path: no page is parsed, nothing is embedded."""
    if not path.exists():
        return None
    try:
        index = read_index(path)
    except CorruptIndex:
        return None  # ensure_index reports it and rebuilds
    return index if index.model == model and index.files == files and len(index) else None


def ensure_index(library: Library, embedder, path: Path, force: bool = False, notify: Notify = notify_stderr,
                 progress: Progress | None = None, files: list[FileStamp] = ()) -> tuple[Index, BuildStats | None]:
    """Load the index at `path`, building or updating it first when pages changed (or `force`).

    A file lock serializes builders: a second `kb index` waits, then finds the index fresh and returns it.
    `files` are the page files' stamps taken before `library` was parsed; they are stored for `load_current`.
    """
    from filelock import FileLock, Timeout

    def current(index: Index | None) -> bool:
        return index is not None and not force and index.is_fresh_for(library, embedder.name)

    previous = _load_or_none(path, notify)
    if current(previous) and previous.files == list(files):
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
                changed = sum(1 for s, p in library.pages.items()
                              if s not in previous.page_row or previous.page_hashes[previous.page_row[s]] != p.content_hash)
                notify(f"updating the index: {changed} page(s) changed")
            donors = [] if force else _donors(path, previous)
            index, stats = build_index(library, embedder, donors, progress, files)
            write_index(index, path)
    except Timeout:
        raise KbError(f"another kb process has held {path}.lock for 10 minutes; remove it if none is running") from None
    except OSError as exc:
        raise KbError(f"cannot write the index under {path.parent}: {exc.strerror} (set KB_HOME to a writable folder)") from None
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
