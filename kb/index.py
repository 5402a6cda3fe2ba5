"""Stage 2: embed pages into a FAISS inner-product index, stored as one atomically replaced file.

Each page gives several vectors (title + summary + aliases, each symptom, each prose section) so that a
query can meet a page by whichever phrasing is closest. The file carries a manifest (model, dimension, a
content hash per page) so that a change to one page re-embeds only that page.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import KbError
from .pages import Library, Page

FORMAT = 2
CHUNKER = 1  # bump when chunk_page changes: every page is re-embedded
MAGIC = b"KBINDEX\n"
EMBEDDED_SECTIONS = ("You see", "Try this first", "Why", "Check", "Fixes, in order")  # not "Not this?": it
# describes the look-alike pages and would pull their queries here.

Notify = Callable[[str], None]
Progress = Callable[[int, int], None]  # (pages embedded so far, pages to embed)


def notify_stderr(message: str) -> None:
    print(f"kb: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Chunk:
    slug: str
    kind: str  # "title" | "symptom" | "section"
    label: str  # the symptom text, or the section name
    text: str  # what was embedded


def plain(markdown: str) -> str:
    """Markdown to embeddable prose: links to their text, no emphasis marks or code fences."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
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


@dataclass
class Index:
    """A loaded index: the FAISS index over chunk vectors, the chunks, and which rows belong to which page."""

    model: str
    dim: int
    pages: dict[str, dict]  # slug -> {"hash", "path", "first", "count"}
    chunks: list[Chunk]
    faiss_index: object
    lexical: "LexicalIndex | None" = None
    path: Path | None = None

    def is_fresh_for(self, library: Library, model: str) -> bool:
        return self.model == model and {s: p["hash"] for s, p in self.pages.items()} == {
            s: p.content_hash for s, p in library.pages.items()}

    def vectors_of(self, slug: str):
        entry = self.pages[slug]
        return self.faiss_index.reconstruct_n(entry["first"], entry["count"])


TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")  # bm25s' (and scikit-learn's) default token pattern


@dataclass
class LexicalIndex:
    """BM25 weights computed by bm25s at build time, stored so that queries need neither bm25s nor scipy.

    `data/indices/indptr` is bm25s' own sparse layout: for token column t, pages `indices[indptr[t]:indptr[t+1]]`
    have BM25 weights `data[...]`; a query's score for a page is the sum over its tokens.
    """

    slugs: list[str]
    vocab: dict[str, int]
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


def index_path(home: Path, model: str, concept_dirs) -> Path:
    """One index file per (model, set of concept directories)."""
    key = json.dumps([model, sorted(str(Path(d).resolve()) for d, _ in concept_dirs)])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    safe_model = re.sub(r"[^A-Za-z0-9._-]+", "_", model)[-40:]
    return home / "index" / f"{safe_model}-{digest}.kbi"


class CorruptIndex(Exception):
    pass


def read_index(path: Path) -> Index:
    """Load and verify an index file; CorruptIndex when it is truncated, tampered with or from another version."""
    import faiss
    import numpy as np

    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise CorruptIndex(f"cannot read {path}: {exc.strerror}") from None
    try:
        if not blob.startswith(MAGIC):
            raise ValueError("not a kb index file")
        (header_len,) = struct.unpack_from("<Q", blob, len(MAGIC))
        start = len(MAGIC) + 8
        header = json.loads(blob[start:start + header_len].decode("utf-8"))
        payload = blob[start + header_len:]
        if header.get("format") != FORMAT or header.get("chunker") != CHUNKER:
            raise ValueError("written by another version of kb")
        if hashlib.sha256(payload).hexdigest() != header["payload_sha256"]:
            raise ValueError("checksum mismatch (truncated or corrupt)")
        lex = header["lexical"]
        sizes = [header["faiss_bytes"], 4 * lex["nnz"], 4 * lex["nnz"], 4 * lex["columns_plus_one"]]
        if sum(sizes) != len(payload):
            raise ValueError("payload size does not match the manifest")
        bounds = np.cumsum([0, *sizes])
        part = [payload[bounds[i]:bounds[i + 1]] for i in range(4)]
        faiss_index = faiss.deserialize_index(np.frombuffer(part[0], dtype=np.uint8))
        lexical = LexicalIndex(lex["slugs"], {t: i for i, t in enumerate(lex["vocab"])}, frozenset(lex["stopwords"]),
                               np.frombuffer(part[1], np.float32), np.frombuffer(part[2], np.int32),
                               np.frombuffer(part[3], np.int32))
        chunks = [Chunk(*row) for row in header["chunks"]]
        if faiss_index.ntotal != len(chunks) or faiss_index.d != header["dim"]:
            raise ValueError("vector count does not match the manifest")
    except (ValueError, KeyError, TypeError, struct.error, RuntimeError, UnicodeDecodeError) as exc:
        raise CorruptIndex(f"{path}: {exc}") from None
    return Index(header["model"], header["dim"], header["pages"], chunks, faiss_index, lexical, path)


def write_index(index: Index, path: Path) -> None:
    """Write to a temporary file, fsync, then rename over the old one: readers see the old or the new, never half."""
    import faiss

    faiss_bytes = faiss.serialize_index(index.faiss_index).tobytes()
    lex = index.lexical
    vocab = sorted(lex.vocab, key=lex.vocab.get)
    payload = faiss_bytes + lex.data.astype("<f4").tobytes() + lex.indices.astype("<i4").tobytes() \
        + lex.indptr.astype("<i4").tobytes()
    header = json.dumps({
        "faiss_bytes": len(faiss_bytes),
        "lexical": {"slugs": lex.slugs, "vocab": vocab, "stopwords": sorted(lex.stopwords), "nnz": int(len(lex.data)),
                    "columns_plus_one": int(len(lex.indptr))},
        "format": FORMAT, "chunker": CHUNKER, "model": index.model, "dim": index.dim,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "pages": index.pages,
        "chunks": [[c.slug, c.kind, c.label, c.text] for c in index.chunks],
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(MAGIC + struct.pack("<Q", len(header)) + header + payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class BuildStats:
    pages: int
    chunks: int
    embedded_pages: int
    embedded_chunks: int
    seconds: float
    path: Path
    bytes: int


def build_index(library: Library, embedder, donors: list[Index] = (),
                progress: Progress | None = None) -> tuple[Index, BuildStats]:
    """Embed the library, reusing the vectors of any page whose content hash a donor index already holds
    (the previous index, or one built for another set of concept directories with the same model)."""
    import faiss
    import numpy as np

    start = time.perf_counter()
    reusable: dict[str, tuple[Index, str]] = {}
    for donor in donors:
        if donor.model == embedder.name:
            for slug, entry in donor.pages.items():
                reusable.setdefault(entry["hash"], (donor, slug))
    pages = sorted(library.pages.values(), key=lambda p: (p.category, p.slug))
    chunks_of = {p.slug: chunk_page(p) for p in pages}
    todo = [p for p in pages if p.content_hash not in reusable]
    fresh: dict = {}
    done = 0
    if progress:
        progress(0, len(todo))
    for batch_start in range(0, len(todo), 16):  # batches of pages, so progress moves and memory stays flat
        batch = todo[batch_start:batch_start + 16]
        batch_chunks = [chunks_of[p.slug] for p in batch]
        vectors = embedder.encode([c.text for chunks in batch_chunks for c in chunks])
        offset = 0
        for page, chunks in zip(batch, batch_chunks):
            fresh[page.slug] = vectors[offset:offset + len(chunks)]
            offset += len(chunks)
        done += len(batch)
        if progress:
            progress(done, len(todo))
    all_chunks: list[Chunk] = []
    all_vectors: list = []
    manifest: dict[str, dict] = {}
    for page in pages:
        chunks = chunks_of[page.slug]
        if page.slug in fresh:
            vectors = fresh[page.slug]
        else:
            donor, donor_slug = reusable[page.content_hash]
            vectors = donor.vectors_of(donor_slug)
        manifest[page.slug] = {"hash": page.content_hash, "path": str(page.path), "first": len(all_chunks),
                               "count": len(chunks)}
        all_chunks += chunks
        all_vectors.append(vectors)
    dim = all_vectors[0].shape[1] if all_vectors else embedder.dim
    faiss_index = faiss.IndexFlatIP(dim)  # exact search; the library is small (see README on scale)
    if all_vectors:
        faiss_index.add(np.ascontiguousarray(np.vstack(all_vectors), dtype=np.float32))
    index = Index(embedder.name, dim, manifest, all_chunks, faiss_index, build_lexical(pages))
    stats = BuildStats(len(pages), len(all_chunks), len(todo), sum(len(fresh[p.slug]) for p in todo),
                       time.perf_counter() - start, Path(), 0)
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


def ensure_index(library: Library, embedder, path: Path, force: bool = False,
                 notify: Notify = notify_stderr, progress: Progress | None = None) -> tuple[Index, BuildStats | None]:
    """Load the index at `path`, building or updating it first when pages changed (or `force`).

    A file lock serializes builders: a second `kb index` waits, then finds the index fresh and returns it.
    """
    from filelock import FileLock, Timeout

    previous = _load_or_none(path, notify)
    if previous is not None and not force and previous.is_fresh_for(library, embedder.name):
        return previous, None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path) + ".lock", timeout=600)
        with lock:
            previous = _load_or_none(path, lambda _msg: None)
            if previous is not None and not force and previous.is_fresh_for(library, embedder.name):
                return previous, None
            if previous is None:
                notify(f"building the index for {len(library)} pages (first run or after a change of model)")
            elif not force:
                changed = sum(1 for s, p in library.pages.items()
                              if s not in previous.pages or previous.pages[s]["hash"] != p.content_hash)
                notify(f"updating the index: {changed} page(s) changed")
            donors = [] if force else _donors(path, previous)
            index, stats = build_index(library, embedder, donors, progress)
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
